import { describe, expect, it } from "vitest";
import { isLoopbackEndpoint, networkFor } from "./run-execution.js";

describe("the network of a run", () => {
  it("recognises a model endpoint on the worker's loopback", () => {
    for (const url of [
      "http://127.0.0.1:11434/v1",
      "http://localhost:1234/v1",
      "http://[::1]:8080/v1",
      "http://127.1.2.3",
    ]) {
      expect(isLoopbackEndpoint(url), url).toBe(true);
    }
    for (const url of [
      "https://api.anthropic.com",
      "http://10.0.0.5:11434/v1",
      "http://127.0.0.1.evil.example",
      "",
      undefined,
      "nope",
    ]) {
      expect(isLoopbackEndpoint(url), String(url)).toBe(false);
    }
  });

  it("gives a run whose model is on loopback the host's network (a local engine listens on 127.0.0.1 only)", () => {
    expect(networkFor("bridge", "", "http://127.0.0.1:11434/v1")).toBe("host");
    expect(networkFor("bridge", "bridge", "http://127.0.0.1:11434/v1")).toBe("host");
  });

  it("keeps an agent without network without it, and others as the agent and the worker say", () => {
    expect(networkFor("none", "host", "http://127.0.0.1:11434/v1")).toBe("none");
    expect(networkFor("bridge", "", "https://api.openai.com/v1")).toBe("bridge");
    expect(networkFor("bridge", "host", "https://api.openai.com/v1")).toBe("host");
  });
});
