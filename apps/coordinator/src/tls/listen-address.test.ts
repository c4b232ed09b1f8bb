import { describe, expect, it } from "vitest";
import { isLoopbackListen, listenHost } from "./listen-address.js";

describe("isLoopbackListen", () => {
  it("counts 127.0.0.0/8, ::1 and localhost as loopback", () => {
    for (const listen of ["127.0.0.1:7400", "127.1.2.3:0", "[::1]:7400", "localhost:7400", "LOCALHOST:1"]) {
      expect(isLoopbackListen(listen), listen).toBe(true);
    }
  });

  it("counts every other address, the unspecified ones included, as reachable from the network", () => {
    for (const listen of [
      "0.0.0.0:7400",
      ":7400",
      "[::]:7400",
      "10.0.0.5:7400",
      "pancode.example.com:7400",
      "127.example.com:1",
      "[::ffff:127.0.0.1]:1",
    ]) {
      expect(isLoopbackListen(listen), listen).toBe(false);
    }
  });

  it("strips IPv6 brackets from the host", () => {
    expect(listenHost("[fe80::1]:7400")).toBe("fe80::1");
    expect(listenHost(":7400")).toBe("");
  });
});
