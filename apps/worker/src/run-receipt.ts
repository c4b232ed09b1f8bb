import type { RunSpec } from "@pancode/core";
import { attemptPredicate, type SigningKey, signRunReceipt } from "@pancode/receipts";
import type { RunOutcome } from "./run-execution.js";

/**
 * The worker's signed receipt statement of one attempt: what it was asked to run and what came out, signed with
 * this worker's Ed25519 key (the worker is the one who ran it). Returned as DSSE envelope JSON for CompleteRun; the
 * coordinator rebuilds the same predicate from its own records and the completion, refuses any difference, and
 * countersigns. The receipt id is derived from run id and attempt (see receiptIdOf), never chosen here.
 */
export function signAttemptReceipt(input: {
  spec: RunSpec;
  /** Fields of the run the RunSpec does not carry. */
  mode: string;
  isolate: boolean;
  /** Safety level of the submitting session; '' when the coordinator sent none. */
  safety?: string;
  /** Nesting: the run that dispatched this one ("" for client submissions) and its depth. */
  parentRunId?: string;
  depth?: number;
  /** Batch or chain the run belongs to, its step, and the chain's previous step receipt ("" / 0 when none). */
  batchId?: string;
  chainId?: string;
  step?: number;
  previousReceiptDigest?: string;
  outcome: RunOutcome;
  workerId: string;
  key: SigningKey;
}): string {
  const { spec, outcome } = input;
  const predicate = attemptPredicate(
    {
      runId: spec.runId,
      attempt: spec.attempt,
      workerId: input.workerId,
      task: spec.task,
      agent: spec.agent,
      model: spec.model,
      mode: input.mode,
      safety: input.safety ?? "",
      parentRunId: input.parentRunId ?? "",
      depth: input.depth ?? 0,
      isolate: input.isolate,
      workspace: spec.workspace,
      batchId: input.batchId ?? "",
      chainId: input.chainId ?? "",
      step: input.step ?? 0,
      previousReceiptDigest: input.previousReceiptDigest ?? "",
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
