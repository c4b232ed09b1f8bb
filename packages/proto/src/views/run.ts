import type { RunInfo } from "../gen/pancode/v1/common.js";

/** The stable JSON shape of a run printed by `--json` (camelCase, documented in the README). */
export interface RunJson {
  runId: string;
  agent: string;
  status: string;
  model: string;
  task: string;
  isolate: boolean;
  workerId: string;
  attempt: number;
  exitCode: number | null;
  error: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  costUsd: number;
  patch: {
    digest: string;
    bytes: number;
    files: { path: string; status: string; oldPath?: string; binary: boolean }[];
  } | null;
  receiptId: string;
  outputTail: string;
  /** The run that dispatched this one (nested dispatch); null for client submissions. */
  parentRunId: string | null;
  /** Nesting depth: 0 for client submissions. */
  depth: number;
  /** Token name of the person who submitted it (sub-runs: the parent's); null for runs from before tokens. */
  user: string | null;
  /** That person's team; null = none. */
  team: string | null;
  /** Input plus output tokens the agent has reported so far (0 for an agent that reports none). */
  tokens: number;
}

/** Converts a run from the wire into its JSON shape. */
export function runJson(run: RunInfo): RunJson {
  return {
    runId: run.id,
    agent: run.agent,
    status: run.status,
    model: run.model,
    task: run.task,
    isolate: run.isolate,
    workerId: run.workerId,
    attempt: run.attempt,
    exitCode: run.hasExitCode ? run.exitCode : null,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt || null,
    finishedAt: run.finishedAt || null,
    durationMs: run.durationMs >= 0 ? run.durationMs : null,
    costUsd: run.costUsd,
    patch: run.patch
      ? {
          digest: run.patch.digest,
          bytes: run.patch.bytes,
          files: run.patch.files.map((f) => ({
            path: f.path,
            status: f.status,
            ...(f.oldPath ? { oldPath: f.oldPath } : {}),
            binary: f.binary,
          })),
        }
      : null,
    receiptId: run.receiptId,
    outputTail: run.outputTail,
    parentRunId: run.parentRunId || null,
    depth: run.depth,
    user: run.user || null,
    team: run.team || null,
    tokens: run.tokens,
  };
}

/** One run as `pancode show --json` prints it: the run plus its progress from the agent's events. */
export function runDetailJson(run: RunInfo): RunJson & { turns: number; inputTokens: number; outputTokens: number } {
  return {
    ...runJson(run),
    turns: run.turns,
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
  };
}
