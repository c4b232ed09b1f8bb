import { describe, expect, it } from "vitest";
import { UsageError } from "../client/exit-status.js";
import { contextNameFor, coordinatorAddress } from "./login.js";

describe("pancode login's address and default context name", () => {
  it("adds the default port, and refuses a URL or a missing host", () => {
    expect(coordinatorAddress("pancode.example.com")).toBe("pancode.example.com:7400");
    expect(coordinatorAddress("10.0.0.5:7500")).toBe("10.0.0.5:7500");
    expect(() => coordinatorAddress("https://pancode.example.com")).toThrow(UsageError);
    expect(() => coordinatorAddress(":7400")).toThrow(/no host/);
  });

  it("names the context after the host, with the port unless it is the default", () => {
    expect(contextNameFor("pancode.example.com:7400")).toBe("pancode.example.com");
    expect(contextNameFor("127.0.0.1:41234")).toBe("127.0.0.1-41234");
    expect(contextNameFor("[::1]:7400")).toBe("ipv6-1");
  });
});
