import type { RunInfo } from "@pancode/proto";
import { describe, expect, it } from "vitest";
import { NdjsonRenderer } from "./ndjson-renderer.js";
import { applyRun, applyWatchItem, initialState } from "./run-state.js";

const started = "2026-01-01T00:00:00.000Z";
const running = { id: "run-1", agent: "dev", status: "running", startedAt: started } as RunInfo;

function lines(chunks: string[]): Record<string, unknown>[] {
  return chunks
    .join("")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("watch --json (NDJSON)", () => {
  it("writes one object per change of a run and nothing on clock ticks", () => {
    const chunks: string[] = [];
    const r = new NdjsonRenderer({ write: (t: string) => chunks.push(t) });
    const t0 = Date.parse(started);
    let s = applyRun(initialState("run-1"), running);
    r.render([s], undefined, t0 + 100);
    r.render([s], undefined, t0 + 900); // a tick: same state
    s = applyWatchItem(s, {
      run: undefined,
      event: {
        runId: "run-1",
        seq: 1,
        attempt: 1,
        at: "",
        kind: "agent",
        text: '{"type":"tool_call","id":"c","tool":"bash","args":"{}"}',
      },
    });
    r.render([s], undefined, t0 + 1000);
    s = applyRun(s, { ...running, status: "done", durationMs: 1500, costUsd: 0.25 } as RunInfo);
    r.finish([s], undefined, t0 + 2000);
    const out = lines(chunks);
    expect(out.map((o) => [o.status, o.tool, o.final])).toEqual([
      ["running", null, false],
      ["running", "bash", false],
      ["done", "bash", true],
    ]);
    expect(out[2]).toMatchObject({ type: "run", runId: "run-1", agent: "dev", costUsd: 0.25, elapsedMs: 1500 });
    expect(out[0]?.at).toBe(new Date(t0 + 100).toISOString());
  });

  it("adds a line for the watched batch each time its status or count of ended runs changes", () => {
    const chunks: string[] = [];
    const r = new NdjsonRenderer({ write: (t: string) => chunks.push(t) });
    const group = { title: "batch b", total: 1, kind: "batch" as const, id: "b1", status: "running" };
    const s = applyRun(initialState("run-1"), running);
    r.render([s], group, 0);
    r.render([applyRun(s, { ...running, status: "done" } as RunInfo)], { ...group, status: "done" }, 1);
    const groups = lines(chunks).filter((o) => o.type === "batch");
    expect(groups.map((g) => [g.status, g.runsEnded, g.runsTotal])).toEqual([
      ["running", 0, 1],
      ["done", 1, 1],
    ]);
  });
});
