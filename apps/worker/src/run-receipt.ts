import { randomUUID } from "node:crypto";
import { EMPTY_DIGEST, type RunSpec, sha256Digest } from "@pancode/core";
import { agentSpecDigest, type SigningKey, signRunReceipt } from "@pancode/receipts";
import type { RunOutcome } from "./run-execution.js";

/**
 * The worker's signed receipt statement of one attempt: what it was asked to run and what came out, signed with
 * this worker's Ed25519 key (the worker is the one who ran it). Returned as DSSE envelope JSON for CompleteRun; the
 * coordinator checks it against the run and countersigns.
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
  const envelope = signRunReceipt(
    {
      receiptId: randomUUID(),
      issuer: "worker",
      runId: spec.runId,
      attempt: spec.attempt,
      workerId: input.workerId,
      parameters: {
        task: spec.task,
        taskHash: sha256Digest(spec.task),
        agent: spec.agent.name,
        agentSpecDigest: agentSpecDigest(spec.agent),
        runtime: spec.agent.runtime,
        image: spec.agent.image,
        imageDigest: outcome.imageDigest,
        model: spec.model?.ref ?? spec.agent.model,
        provider: spec.model?.provider ?? "",
        mode: input.mode,
        ...(input.safety ? { safetyLevel: input.safety } : {}),
        runtimeVersion: outcome.runtimeVersion ?? "",
        tools: [...spec.agent.tools],
        parentRunId: input.parentRunId ?? "",
        depth: input.depth ?? 0,
        readonly: spec.agent.readonly,
        isolate: input.isolate,
        repoId: spec.workspace.repoId,
        baseCommit: spec.workspace.baseCommit,
        stateDigest: spec.workspace.stateDigest,
      },
      results: {
        status: outcome.status,
        exitCode: outcome.exitCode,
        startedAt: outcome.startedAt.toISOString(),
        finishedAt: outcome.finishedAt.toISOString(),
        durationMs: Math.max(0, outcome.finishedAt.getTime() - outcome.startedAt.getTime()),
        tokens: {
          input: outcome.usage.input,
          output: outcome.usage.output,
          cacheRead: outcome.usage.cacheRead,
          cacheWrite: outcome.usage.cacheWrite,
        },
        costUsd: outcome.usage.costUsd ?? 0,
        outputHash: sha256Digest(outcome.outputTail),
        patchDigest: outcome.patch?.digest || EMPTY_DIGEST,
        patchBytes: outcome.patch?.bytes ?? 0,
        patchFiles: outcome.patch?.files.map((f) => f.path) ?? [],
      },
      batchId: input.batchId ?? "",
      chainId: input.chainId ?? "",
      step: input.step ?? 0,
      previousReceiptDigest: input.previousReceiptDigest ?? "",
      createdAt: new Date().toISOString(),
    },
    input.key.privateKey,
  );
  return JSON.stringify(envelope);
}
