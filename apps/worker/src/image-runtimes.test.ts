import { describe, expect, it } from "vitest";
import { requireRuntime, runtimesOf } from "./image-runtimes.js";

const KNOWN = ["command", "pi", "claude-code"];

describe("image runtimes", () => {
  it("offers command always, and the agent CLIs the image's label lists that PanCode knows", () => {
    expect(runtimesOf({ digest: "d", labels: { "pancode.runtimes": "pi,gemini" } }, KNOWN)).toEqual(["command", "pi"]);
    expect(runtimesOf({ digest: "d", labels: {} }, KNOWN)).toEqual(["command"]);
  });

  it("refuses a runtime the image lacks, naming what it has", () => {
    const image = { digest: "d", labels: { "pancode.runtimes": "pi" } };
    expect(() => requireRuntime(image, "custom:1", "claude-code", KNOWN)).toThrow(
      /image custom:1 does not contain runtime "claude-code" \(it has: command, pi\)/,
    );
    expect(() => requireRuntime(image, "custom:1", "pi", KNOWN)).not.toThrow();
  });
});
