import { EMPTY_PROGRESS, type RunProgress, totalTokens } from "@pancode/core";
import type { RunInfo } from "@pancode/proto";
import type { RunRow } from "../services/run-queries.js";
import { workspaceOf } from "../services/run-view.js";

/** The client-facing view of a stored run, with its live progress when it reported any. */
export function toRunInfo(row: RunRow, progress: RunProgress = EMPTY_PROGRESS): RunInfo {
  const durationMs =
    row.startedAt && row.finishedAt ? Math.max(0, row.finishedAt.getTime() - row.startedAt.getTime()) : -1;
  return {
    id: row.id,
    status: row.status,
    agent: row.agent,
    model: row.model,
    task: row.task,
    isolate: row.isolate,
    pool: row.pool,
    workerId: row.workerId,
    attempt: row.attempt,
    hasExitCode: row.exitCode !== null,
    exitCode: row.exitCode ?? 0,
    error: row.error,
    outputTail: row.outputTail,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? "",
    finishedAt: row.finishedAt?.toISOString() ?? "",
    durationMs,
    costUsd: row.costUsd,
    patch: row.patchDigest
      ? {
          digest: row.patchDigest,
          bytes: row.patchBytes,
          files: row.patchFiles.map((f) => ({
            path: f.path,
            status: f.status,
            oldPath: f.oldPath ?? "",
            binary: f.binary,
          })),
        }
      : undefined,
    receiptId: row.receiptId,
    workspace: workspaceOf(row),
    parentRunId: row.parentRunId,
    depth: row.depth,
    turns: progress.turns,
    // A tool call cannot still be running once the run ended.
    currentTool: row.finishedAt ? "" : progress.currentTool,
    inputTokens: progress.usage.input,
    outputTokens: progress.usage.output,
    tokens: totalTokens(progress.usage),
    liveCostUsd: progress.usage.costUsd ?? 0,
    user: row.userName ?? "",
    team: row.team ?? "",
  };
}
