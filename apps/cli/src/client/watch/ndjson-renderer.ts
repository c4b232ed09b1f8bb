import { totalTokens } from "@pancode/core";
import type { GroupInfo, Renderer, ViewOutput } from "./renderer.js";
import { costOf, elapsedOf, isFinal, type RunState } from "./run-state.js";

/** One line of `pancode watch --json` about a run: its whole state after a change (documented in the README). */
export interface WatchRunJson {
  type: "run";
  /** When the change was seen (RFC 3339). */
  at: string;
  runId: string;
  agent: string;
  status: string;
  /** True once the status is terminal: the run's last line. */
  final: boolean;
  turn: number;
  /** The tool being called, or null between calls. */
  tool: string | null;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
  costUsd: number;
  elapsedMs: number | null;
  error: string | null;
}

/** One line of `pancode watch --json` about the batch or chain being watched, after it changed. */
export interface WatchGroupJson {
  type: "batch" | "chain" | "refine";
  at: string;
  id: string;
  status: string;
  runsEnded: number;
  runsTotal: number;
}

function watchRunJson(state: RunState, now: number): WatchRunJson {
  const p = state.progress;
  return {
    type: "run",
    at: new Date(now).toISOString(),
    runId: state.id,
    agent: state.agent,
    status: state.status,
    final: isFinal(state.status),
    turn: p.turns,
    tool: p.currentTool || null,
    tokens: {
      input: p.usage.input,
      output: p.usage.output,
      cacheRead: p.usage.cacheRead,
      cacheWrite: p.usage.cacheWrite,
      total: totalTokens(p.usage),
    },
    costUsd: costOf(state),
    elapsedMs: elapsedOf(state, now),
    error: state.error || null,
  };
}

function watchGroupJson(runs: readonly RunState[], group: GroupInfo, now: number): WatchGroupJson | undefined {
  if (!group.kind || !group.id) return undefined;
  return {
    type: group.kind,
    at: new Date(now).toISOString(),
    id: group.id,
    status: group.status ?? "",
    runsEnded: runs.filter((r) => isFinal(r.status)).length,
    runsTotal: Math.max(group.total, runs.length),
  };
}

/** The fields that tell a change: everything but the clock (time and elapsed move on every tick). */
function changeKey(value: WatchRunJson | WatchGroupJson): string {
  const { at: _at, ...rest } = value;
  return JSON.stringify({ ...rest, elapsedMs: undefined });
}

/**
 * NDJSON for scripts: one JSON object per line each time a run or the watched group changes (status, turn, tool,
 * tokens, cost), never on clock ticks. A run's line carries its whole state, so the last line of a run is its end.
 */
export class NdjsonRenderer implements Renderer {
  private readonly last = new Map<string, string>();

  constructor(private readonly out: ViewOutput) {}

  private emit(key: string, value: WatchRunJson | WatchGroupJson): void {
    const changed = changeKey(value);
    if (this.last.get(key) === changed) return;
    this.last.set(key, changed);
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  render(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void {
    for (const run of runs) this.emit(`run:${run.id}`, watchRunJson(run, now));
    const groupJson = group ? watchGroupJson(runs, group, now) : undefined;
    if (groupJson) this.emit("group", groupJson);
  }

  finish(runs: readonly RunState[], group: GroupInfo | undefined, now: number): void {
    this.render(runs, group, now);
  }
}
