import { EMPTY_DIGEST, sha256Digest } from "@pancode/core";
import type { Database, RunRow } from "@pancode/db";
import { createRunReceipt } from "@pancode/receipts";

/**
 * Writes the receipt of a run that just reached a terminal state: canonical JSON of its parameters and results,
 * content-hashed. Called exactly once per run, by whoever committed the terminal transition.
 */
export async function writeReceipt(db: Database, run: RunRow, extra: { imageDigest: string }): Promise<string> {
  const durationMs =
    run.startedAt && run.finishedAt ? Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) : 0;
  const agent = run.spec.agent;
  const receipt = createRunReceipt({
    runId: run.id,
    attempt: run.attempt,
    workerId: run.workerId,
    createdAt: new Date().toISOString(),
    parameters: {
      task: run.task,
      taskHash: sha256Digest(run.task),
      agent: run.agent,
      runtime: agent.runtime,
      model: run.model,
      image: agent.image,
      imageDigest: extra.imageDigest,
      readonly: agent.readonly,
      isolate: run.isolate,
      mode: typeof run.spec.mode === "string" ? run.spec.mode : "build",
      repoId: run.repoId,
      baseCommit: run.baseCommit,
      stateDigest: run.stateDigest,
    },
    results: {
      status: run.status,
      exitCode: run.exitCode,
      startedAt: run.startedAt?.toISOString() ?? "",
      finishedAt: run.finishedAt?.toISOString() ?? "",
      durationMs,
      costUsd: run.costUsd,
      outputHash: sha256Digest(run.outputTail),
      patchDigest: run.patchDigest || EMPTY_DIGEST,
      patchBytes: run.patchBytes,
      patchFiles: run.patchFiles.map((f) => f.path),
    },
  });
  await db.setReceipt(run.id, { id: receipt.id, contentHash: receipt.contentHash, body: receipt.body });
  return receipt.id;
}
