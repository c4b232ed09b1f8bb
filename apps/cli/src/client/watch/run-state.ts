import {
  EMPTY_PROGRESS,
  foldAgentEventTexts,
  isTerminalStatus,
  type RunProgress,
  RunStatus,
  totalTokens,
} from "@pancode/core";
import type { RunInfo, WatchRunResponse } from "@pancode/proto";
import { formatDuration, shortId } from "../../output.js";

/** What the live view knows about one run: its last snapshot plus progress folded from its agent events. */
export interface RunState {
  id: string;
  agent: string;
  status: string;
  /** Epoch ms the run started (or was created, while pending); null until known. */
  since: number | null;
  /** Final duration once the run ended, else -1. */
  durationMs: number;
  /** Settled cost from the run's final snapshot, else -1 (the folded cost is shown meanwhile). */
  settledCostUsd: number;
  error: string;
  /** Attempt whose events are folded: a new attempt starts from zero, as on the coordinator. */
  attempt: number;
  progress: RunProgress;
}

/** A run the view has not heard from yet. */
export function initialState(id: string): RunState {
  return {
    id,
    agent: "",
    status: "pending",
    since: null,
    durationMs: -1,
    settledCostUsd: -1,
    error: "",
    attempt: 0,
    progress: EMPTY_PROGRESS,
  };
}

/** True once `status` is terminal. */
export function isFinal(status: string): boolean {
  const parsed = RunStatus.safeParse(status);
  return parsed.success && isTerminalStatus(parsed.data);
}

/** State after a run snapshot (status changes, the final record). */
export function applyRun(state: RunState, run: RunInfo): RunState {
  const start = run.startedAt || run.createdAt;
  const final = isFinal(run.status);
  return {
    ...state,
    id: run.id,
    agent: run.agent,
    status: run.status,
    since: start ? Date.parse(start) : state.since,
    durationMs: final ? run.durationMs : -1,
    settledCostUsd: final ? run.costUsd : -1,
    error: run.error,
  };
}

/** State after one item of a WatchRun stream. */
export function applyWatchItem(state: RunState, item: WatchRunResponse): RunState {
  let next = item.run ? applyRun(state, item.run) : state;
  const e = item.event;
  if (e && e.kind === "agent") {
    if (e.attempt > next.attempt) next = { ...next, attempt: e.attempt, progress: EMPTY_PROGRESS };
    if (e.attempt === next.attempt) next = { ...next, progress: foldAgentEventTexts(next.progress, [e.text]) };
  }
  return next;
}

/** Cost to show: the settled one when known, else what the agent reported so far. */
export function costOf(state: RunState): number {
  return state.settledCostUsd >= 0 ? state.settledCostUsd : (state.progress.usage.costUsd ?? 0);
}

/** Elapsed time: the final duration, or now minus the start. */
export function elapsedOf(state: RunState, now: number): number | null {
  if (state.durationMs >= 0) return state.durationMs;
  return state.since === null ? null : Math.max(0, now - state.since);
}

/** The columns of one run's line (without elapsed time, which changes every tick). */
function runCells(state: RunState): string[] {
  const p = state.progress;
  return [
    shortId(state.id),
    state.agent || "-",
    state.status,
    p.turns > 0 ? `turn ${p.turns}` : "-",
    p.currentTool || "-",
    `${totalTokens(p.usage)} tok`,
    `$${costOf(state).toFixed(4)}`,
  ];
}

/** One run as a line: id, agent, status, elapsed, turn, current tool, tokens, cost (and why it failed). */
export function formatRunLine(state: RunState, now: number): string {
  const [id, agent, status, turn, tool, tokens, cost] = runCells(state);
  const cells = [
    (id ?? "").padEnd(8),
    (agent ?? "").padEnd(10),
    (status ?? "").padEnd(15),
    formatDuration(elapsedOf(state, now)).padStart(7),
    (turn ?? "").padEnd(8),
    (tool ?? "").padEnd(10),
    (tokens ?? "").padStart(10),
    (cost ?? "").padStart(9),
  ];
  const failure = isFinal(state.status) && state.error ? `  ${state.error}` : "";
  return `${cells.join("  ")}${failure}`;
}

/** `[#####-----] 3/6 ended` for a group of runs. */
export function progressBar(ended: number, total: number, width = 24): string {
  const filled = total > 0 ? Math.round((ended / total) * width) : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${ended}/${total} ended`;
}
