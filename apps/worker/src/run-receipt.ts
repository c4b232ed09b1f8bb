import type { RunAssignment } from "@pancode/core";
import { attemptPredicate, type SigningKey, signRunReceipt } from "@pancode/receipts";
import type { RunOutcome } from "./run-execution.js";

/**
 * The worker's signed receipt statement of one attempt: what it was asked to run and what came out, signed with
 * this worker's Ed25519 key (the worker is the one who ran it). Returned as DSSE envelope JSON for CompleteRun; the
 * coordinator rebuilds the same predicate from its own records and the completion, refuses any difference, and
 * countersigns. The receipt id is derived from run id and attempt (see receiptIdOf), never chosen here.
 */
export function signAttemptReceipt(input: {
  /** What the worker was given: the spec, the grant (nesting, safety) and the facts its receipt records. */
  assignment: RunAssignment;
  outcome: RunOutcome;
  workerId: string;
  key: SigningKey;
}): string {
  const { spec, grant, facts } = input.assignment;
  const { outcome } = input;
  const predicate = attemptPredicate(
    {
      runId: spec.runId,
      attempt: spec.attempt,
      workerId: input.workerId,
      task: spec.task,
      agent: spec.agent,
      model: spec.model,
      mode: facts.mode,
      safety: grant.safety,
      parentRunId: grant.parentRunId,
      depth: grant.depth,
      isolate: facts.isolate,
      workspace: spec.workspace,
      batchId: facts.batchId,
      chainId: facts.chainId,
      step: facts.step,
      previousReceiptDigest: facts.previousReceiptDigest,
    },
    {
      status: outcome.status,
      exitCode: outcome.exitCode,
      startedAt: outcome.startedAt.toISOString(),
      finishedAt: outcome.finishedAt.toISOString(),
      tokens: {
        input: outcome.usage.input,
        output: outcome.usage.output,
        cacheRead: outcome.usage.cacheRead,
        cacheWrite: outcome.usage.cacheWrite,
      },
      costUsd: outcome.usage.costUsd ?? 0,
      outputTail: outcome.outputTail,
      patch: outcome.patch ? { ...outcome.patch, files: outcome.patch.files.map((f) => f.path) } : null,
      imageDigest: outcome.imageDigest,
      runtimeVersion: outcome.runtimeVersion ?? "",
      modelCalls: outcome.modelCalls,
    },
    new Date().toISOString(),
  );
  return JSON.stringify(signRunReceipt(predicate, input.key.privateKey));
}
