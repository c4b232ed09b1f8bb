import { describe, expect, it } from "vitest";
import { EMPTY_PROGRESS, foldAgentEventTexts, totalTokens } from "./run-progress.js";

const ev = (e: unknown) => JSON.stringify(e);

describe("run progress", () => {
  it("tracks turns, the tool in flight and the usage total", () => {
    const p = foldAgentEventTexts(EMPTY_PROGRESS, [
      ev({ type: "turn_start", turn: 1 }),
      ev({ type: "tool_call", id: "1", tool: "read", args: "{}" }),
      ev({ type: "tool_result", id: "1", tool: "read", isError: false }),
      ev({ type: "turn_start", turn: 2 }),
      ev({ type: "tool_call", id: "2", tool: "bash", args: "{}" }),
      ev({ type: "usage", usage: { input: 10, output: 2, cacheRead: 3, cacheWrite: 1, costUsd: 0.5 } }),
      ev({ type: "usage", usage: { input: 5, output: 1, costUsd: null } }),
    ]);
    expect(p).toMatchObject({ turns: 2, currentTool: "bash" });
    expect(p.usage).toEqual({ input: 15, output: 3, cacheRead: 3, cacheWrite: 1, costUsd: 0.5 });
    expect(totalTokens(p.usage)).toBe(22);
    expect(foldAgentEventTexts(p, [ev({ type: "final", text: "ok" })]).currentTool).toBe("");
  });

  it("skips what is not an agent event rather than poisoning the totals", () => {
    const p = foldAgentEventTexts(EMPTY_PROGRESS, [
      "{not json",
      ev(null),
      ev({ type: "usage", usage: { input: "many", output: 1 } }),
      ev({ type: "usage" }),
    ]);
    expect(p).toEqual(EMPTY_PROGRESS);
  });
});
