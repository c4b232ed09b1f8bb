import { type Completion, PanCodeError, PatchFile, ResolvedAgent, type RunAssignment } from "@pancode/core";
import type { CompleteRunRequest, RunSpec as RunSpecMessage } from "../gen/pancode/v1/worker.js";
import { modelTargetFromWire, modelTargetToWire } from "./model-target.js";

/** A completion on the wire without its lease (the call, or the worker's outbox entry, holds the lease once). */
export type CompletionMessage = Omit<CompleteRunRequest, "lease">;

/** The ClaimRun answer of an assignment. */
export function assignmentToWire({ spec, grant, facts }: RunAssignment): RunSpecMessage {
  return {
    lease: { runId: spec.runId, attempt: spec.attempt, leaseToken: spec.leaseToken },
    task: spec.task,
    agent: spec.agent,
    workspace: spec.workspace,
    traceparent: spec.traceparent,
    model: modelTargetToWire(spec.model),
    maxCostUsd: spec.maxCostUsd,
    basePatchDigests: spec.basePatches,
    runToken: grant.runToken,
    depth: grant.depth,
    safety: grant.safety,
    parentRunId: grant.parentRunId,
    mode: facts.mode,
    isolate: facts.isolate,
    batchId: facts.batchId,
    chainId: facts.chainId,
    step: facts.step,
    previousReceiptDigest: facts.previousReceiptDigest,
  };
}

/** The assignment of a ClaimRun answer; throws when the answer lacks its lease, agent or workspace. */
export function assignmentFromWire(message: RunSpecMessage): RunAssignment {
  const { lease, agent, workspace } = message;
  if (!lease || !agent || !workspace) {
    throw new PanCodeError("INVALID_ARGUMENT", "claim answer is missing lease, agent or workspace");
  }
  return {
    spec: {
      runId: lease.runId,
      attempt: lease.attempt,
      leaseToken: lease.leaseToken,
      task: message.task,
      // Coordinators older than network policies send none: such runs had no network.
      agent: ResolvedAgent.parse({ ...agent, network: agent.network || "none" }),
      workspace,
      traceparent: message.traceparent,
      model: modelTargetFromWire(message.model),
      maxCostUsd: Math.max(message.maxCostUsd, 0),
      basePatches: message.basePatchDigests,
    },
    grant: {
      runToken: message.runToken,
      depth: message.depth,
      safety: message.safety,
      parentRunId: message.parentRunId,
    },
    facts: {
      mode: message.mode || "build",
      isolate: message.isolate,
      batchId: message.batchId,
      chainId: message.chainId,
      step: message.step,
      previousReceiptDigest: message.previousReceiptDigest,
    },
  };
}

/** The CompleteRun request of a completion, without its lease. */
export function completionToWire(c: Completion): CompletionMessage {
  return {
    status: c.status,
    hasExitCode: c.exitCode !== null,
    exitCode: c.exitCode ?? 0,
    error: c.error,
    outputTail: c.outputTail,
    startedAt: c.startedAt?.toISOString() ?? "",
    finishedAt: c.finishedAt.toISOString(),
    costUsd: c.costUsd,
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    patch: c.patch
      ? {
          digest: c.patch.digest,
          bytes: c.patch.bytes,
          files: c.patch.files.map((f) => ({
            path: f.path,
            status: f.status,
            oldPath: f.oldPath ?? "",
            binary: f.binary,
          })),
        }
      : undefined,
    imageDigest: c.imageDigest,
    receiptEnvelope: c.receiptEnvelope,
  };
}

function timestampOf(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new PanCodeError("INVALID_ARGUMENT", `${field} is not a timestamp: "${value}"`);
  }
  return date;
}

/**
 * The completion of a CompleteRun request. Throws INVALID_ARGUMENT for a finish time that is not a timestamp; a
 * missing one means now, negative costs and token counts count as 0, and an unreadable start time is left out.
 */
export function completionFromWire(req: CompletionMessage): Completion {
  const startedAt = req.startedAt ? new Date(req.startedAt) : undefined;
  return {
    status: req.status,
    exitCode: req.hasExitCode ? req.exitCode : null,
    error: req.error,
    outputTail: req.outputTail,
    startedAt: startedAt && !Number.isNaN(startedAt.getTime()) ? startedAt : undefined,
    finishedAt: req.finishedAt ? timestampOf(req.finishedAt, "finishedAt") : new Date(),
    costUsd: Math.max(0, req.costUsd),
    patch: req.patch
      ? {
          digest: req.patch.digest,
          bytes: req.patch.bytes,
          files: req.patch.files.map((f) =>
            PatchFile.parse({ path: f.path, status: f.status, oldPath: f.oldPath || undefined, binary: f.binary }),
          ),
        }
      : null,
    imageDigest: req.imageDigest,
    receiptEnvelope: req.receiptEnvelope,
    inputTokens: Math.max(0, req.inputTokens),
    outputTokens: Math.max(0, req.outputTokens),
  };
}
