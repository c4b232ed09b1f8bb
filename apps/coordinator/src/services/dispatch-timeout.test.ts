import { createAgentRegistry } from "@pancode/agents";
import { describe, expect, it } from "vitest";
import { MAX_DISPATCH_TIMEOUT_MS, withTimeout } from "./dispatch-service.js";

describe("withTimeout", () => {
  const shell = createAgentRegistry({ defaultImage: "pancode/agent:dev" }).resolve("shell");

  it("keeps the agent's timeout unless the dispatch asks for one", () => {
    expect(withTimeout(shell, undefined)).toBe(shell);
    expect(withTimeout(shell, 0)).toBe(shell);
    expect(withTimeout(shell, 2000)).toEqual({ ...shell, timeoutMs: 2000 });
  });

  it("refuses fractions, negatives and more than a day", () => {
    for (const bad of [1.5, -1, MAX_DISPATCH_TIMEOUT_MS + 1]) {
      expect(() => withTimeout(shell, bad), String(bad)).toThrow(/timeout must be a whole number of ms/);
    }
  });
});
