import type { RunInfo } from "@pancode/proto";
import { describe, expect, it } from "vitest";
import { PlainRenderer, TtyRenderer } from "./renderer.js";
import { applyRun, applyWatchItem, initialState, type RunState } from "./run-state.js";

function sink() {
  const chunks: string[] = [];
  return { chunks, write: (t: string) => chunks.push(t) };
}

function agentEvent(attempt: number, seq: number, event: unknown) {
  return {
    run: undefined,
    event: { runId: "r1", seq, attempt, at: "", kind: "agent", text: JSON.stringify(event) },
  };
}

const running = { id: "0123456789", agent: "dev", status: "running", startedAt: "2026-01-01T00:00:00.000Z" };

function state(): RunState {
  return applyRun(initialState("0123456789"), running as RunInfo);
}

describe("the live run view", () => {
  it("folds agent events of the current attempt into turns, tool, tokens and cost", () => {
    let s = state();
    s = applyWatchItem(s, agentEvent(1, 1, { type: "turn_start", turn: 1 }));
    s = applyWatchItem(s, agentEvent(1, 2, { type: "tool_call", id: "c", tool: "bash", args: "{}" }));
    s = applyWatchItem(s, agentEvent(1, 3, { type: "usage", usage: { input: 100, output: 20, costUsd: 0.01 } }));
    expect(s.progress).toMatchObject({ turns: 1, currentTool: "bash" });
    expect(s.progress.usage).toMatchObject({ input: 100, output: 20, costUsd: 0.01 });
    // A new attempt starts from zero, like the coordinator's count.
    s = applyWatchItem(s, agentEvent(2, 4, { type: "turn_start", turn: 1 }));
    expect(s.progress.usage.input).toBe(0);
  });

  it("redraws in place on a terminal: cursor up over the last frame, each line cleared", () => {
    const out = sink();
    const r = new TtyRenderer(out);
    const now = Date.parse(running.startedAt) + 1500;
    r.render([state()], { title: "batch b1", total: 2 }, now);
    r.render([state()], { title: "batch b1", total: 2 }, now + 1000);
    expect(out.chunks[0]).not.toContain("\u001b[2F");
    expect(out.chunks[1]?.startsWith("\u001b[2F\u001b[2K")).toBe(true);
    expect(out.chunks[0]).toContain("batch b1  [------------------------] 0/2 ended");
    expect(out.chunks[0]).toMatch(/01234567\s+dev\s+running\s+1\.5s/);
  });

  it("keeps a frame within the terminal: lines cut to its width, runs beyond its height summed up", () => {
    const out = { ...sink(), columns: 30, rows: 4 };
    const many = Array.from({ length: 5 }, (_, i) =>
      applyRun(initialState(`run${i}`), { ...running, id: `run${i}xxxx` } as RunInfo),
    );
    new TtyRenderer(out).render(many, undefined, Date.parse(running.startedAt));
    const lines = (out.chunks[0] ?? "").split("\n").filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => l.replace("\u001b[2K", "").length <= 29)).toBe(true);
    expect(lines[2]).toContain("... and 3 more");
  });

  it("prints one plain line per change and nothing on clock ticks when not a terminal", () => {
    const out = sink();
    const r = new PlainRenderer(out);
    const t = Date.parse(running.startedAt);
    r.render([state()], undefined, t + 1000);
    r.render([state()], undefined, t + 2000);
    const done = applyRun(state(), { ...running, status: "done", durationMs: 2500, costUsd: 0 } as RunInfo);
    r.render([done], undefined, t + 3000);
    expect(out.chunks).toHaveLength(2);
    expect(out.chunks.join("")).not.toContain("\u001b[");
    expect(out.chunks[1]).toMatch(/done\s+2\.5s/);
  });
});
