import type { PipelineSample } from "./pipeline-run.js";
import { roundSummary, type Summary, summarize } from "./stats.js";

/** One JSON log line of a service (packages/telemetry's JSON logger). */
interface LogLine {
  ts: string;
  msg: string;
  runId?: string;
  container?: string;
}

/**
 * Stages of one run, in order. Each is the time between two markers; the markers come from the client (its clock),
 * the run as stored, and the services' debug logs (`ts` of a given message for the run), all on this host's clock.
 * They tile the whole window, so the stages add up to the total up to 1 ms rounding per marker; the last one,
 * the worktree's removal, happens after the completion and is shown apart from the sum.
 */
export const STAGES = [
  { name: "Dispatch RPC: admission + insert", from: "start", to: "created" },
  { name: "publish + NATS delivery + ClaimRun", from: "created", to: "claimed" },
  { name: "workspace: image inspect, state blob, worktree", from: "claimed", to: "worktreeCreated" },
  { name: "chown worktree + container create", from: "worktreeCreated", to: "containerCreated" },
  { name: "container attach, start, wait", from: "containerCreated", to: "exited" },
  { name: "output drain, inspect, remove container", from: "exited", to: "containerRemoved" },
  { name: "chown back + compute patch", from: "containerRemoved", to: "patchComputed" },
  { name: "outbox + final flush + CompleteRun + receipt", from: "patchComputed", to: "finished" },
  { name: "watch wake-up -> client sees done", from: "finished", to: "seen" },
  // Not on the path (the worktree is removed after the completion was sent): not part of the sum.
  { name: "(after done) remove worktree", from: "finished", to: "worktreeRemoved" },
] as const;

type Marker = (typeof STAGES)[number]["from"] | (typeof STAGES)[number]["to"];

/** Stage durations of one run in ms (NaN where a marker is missing, e.g. logs not at debug level). */
export type RunBreakdown = Record<string, number>;

function parseLogs(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("{")) continue;
    try {
      const line = JSON.parse(raw) as LogLine;
      if (typeof line.ts === "string" && typeof line.msg === "string") lines.push(line);
    } catch (_err) {
      // A line cut in the middle of a chunk or not ours: it only costs one marker.
    }
  }
  return lines;
}

function at(lines: LogLine[], runId: string, msg: string): number {
  const line = lines.find((l) => l.msg === msg && (l.runId === runId || (l.container ?? "").includes(runId)));
  return line ? Date.parse(line.ts) : Number.NaN;
}

/** The earlier of two markers, either of which may be missing (NaN). */
function first(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

/** Splits each sample into {@link STAGES} using the coordinator's and the worker's logs. */
export function breakDown(
  samples: readonly PipelineSample[],
  coordinatorLogs: string,
  workerLogs: string,
): RunBreakdown[] {
  const coordinator = parseLogs(coordinatorLogs);
  const worker = parseLogs(workerLogs);
  return samples.map((s) => {
    const markers: Record<Marker, number> = {
      start: s.startEpochMs,
      // The insert's now(): "run admitted" is logged after the publish, and a fast worker may claim before that line.
      created: Date.parse(s.run.createdAt),
      claimed: at(coordinator, s.runId, "run claimed"),
      worktreeCreated: at(worker, s.runId, "worktree created"),
      containerCreated: at(worker, s.runId, "container created"),
      exited: s.run.finishedAt ? Date.parse(s.run.finishedAt) : Number.NaN,
      // A warm container's run is over once its files are back ("container released"); it is removed afterwards.
      containerRemoved: first(at(worker, s.runId, "container released"), at(worker, s.runId, "container removed")),
      patchComputed: at(worker, s.runId, "patch computed"),
      worktreeRemoved: at(worker, s.runId, "worktree removed"),
      finished: at(coordinator, s.runId, "run finished"),
      seen: s.doneEpochMs,
    };
    return Object.fromEntries(STAGES.map((st) => [st.name, markers[st.to] - markers[st.from]]));
  });
}

/** Per-stage summaries over all runs, in stage order. */
export function summarizeStages(rows: readonly RunBreakdown[]): { stage: string; summary: Summary }[] {
  return STAGES.map((st) => ({
    stage: st.name,
    summary: roundSummary(summarize(rows.map((r) => r[st.name] ?? Number.NaN))),
  }));
}
