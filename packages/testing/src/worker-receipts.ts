import { EMPTY_DIGEST, ResolvedAgent } from "@pancode/core";
import { attemptPredicate, type RunReceiptPredicate, type SigningKey, signRunReceipt } from "@pancode/receipts";

/** The parts of a ClaimRun answer's spec a worker records in its statement (structurally the proto RunSpec). */
export interface ClaimedSpec {
  lease?: { runId: string; attempt: number } | undefined;
  task: string;
  agent?: object | undefined;
  workspace?: { repoId: string; baseCommit: string; stateDigest: string } | undefined;
  model?: { ref: string; provider: string } | undefined;
  mode: string;
  isolate: boolean;
  safety: string;
  depth: number;
  parentRunId: string;
  batchId: string;
  chainId: string;
  step: number;
  previousReceiptDigest: string;
}

/** The parts of a CompleteRun request a worker records in its statement. */
export interface CompletionFacts {
  status: string;
  hasExitCode: boolean;
  exitCode: number;
  outputTail: string;
  startedAt?: string;
  finishedAt: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  patch?: { digest: string; bytes: number; files: { path: string }[] } | undefined;
  imageDigest: string;
}

/**
 * The predicate an honest worker signs for the claimed run and its completion, built the way the real worker
 * builds it. Tests that speak the worker protocol by hand use it (a completion must carry a signed statement the
 * coordinator can match against its records) and change one field of it to play a forging worker.
 */
export function workerPredicate(
  claim: ClaimedSpec | undefined,
  completion: CompletionFacts,
  workerId: string,
  cache: { cacheRead: number; cacheWrite: number } = { cacheRead: 0, cacheWrite: 0 },
): RunReceiptPredicate {
  if (!claim?.lease || !claim.agent || !claim.workspace) throw new Error("the claim carries no spec");
  const agent = ResolvedAgent.parse({
    ...claim.agent,
    network: (claim.agent as { network?: string }).network || "none",
  });
  return attemptPredicate(
    {
      runId: claim.lease.runId,
      attempt: claim.lease.attempt,
      workerId,
      task: claim.task,
      agent,
      model: claim.model?.ref ? claim.model : null,
      mode: claim.mode || "build",
      safety: claim.safety,
      parentRunId: claim.parentRunId,
      depth: claim.depth,
      isolate: claim.isolate,
      workspace: claim.workspace,
      batchId: claim.batchId,
      chainId: claim.chainId,
      step: claim.step,
      previousReceiptDigest: claim.previousReceiptDigest,
    },
    {
      status: completion.status,
      exitCode: completion.hasExitCode ? completion.exitCode : null,
      startedAt: completion.startedAt || completion.finishedAt,
      finishedAt: new Date(completion.finishedAt).toISOString(),
      tokens: { input: completion.inputTokens, output: completion.outputTokens, ...cache },
      costUsd: completion.costUsd,
      outputTail: completion.outputTail,
      patch: completion.patch ? { ...completion.patch, files: completion.patch.files.map((f) => f.path) } : null,
      imageDigest: completion.imageDigest,
      runtimeVersion: "",
    },
    new Date().toISOString(),
  );
}

/** The DSSE envelope (JSON text) of a predicate signed with `key`, as CompleteRun carries it. */
export function signPredicate(predicate: RunReceiptPredicate, key: SigningKey): string {
  return JSON.stringify(signRunReceipt(predicate, key.privateKey));
}

/** The DSSE envelope (JSON text) of {@link workerPredicate}, signed with `key`. */
export function signedStatement(
  claim: ClaimedSpec | undefined,
  completion: CompletionFacts,
  workerId: string,
  key: SigningKey,
): string {
  return signPredicate(workerPredicate(claim, completion, workerId), key);
}

/**
 * The `agent` event a worker reports for model usage, so the coordinator's recorded usage of the attempt matches
 * the completion's tokens and cost (the coordinator checks the receipt against both).
 */
export function usageEvent(usage: { input: number; output: number; costUsd: number }): {
  at: string;
  kind: string;
  text: string;
} {
  return {
    at: new Date().toISOString(),
    kind: "agent",
    text: JSON.stringify({ type: "usage", usage: { cacheRead: 0, cacheWrite: 0, ...usage } }),
  };
}

/**
 * A CompleteRun request of an honest worker whose no-op run ended `done` (no patch, no usage), with its signed
 * statement: for tests and benches that complete runs by hand through the worker protocol.
 */
export function doneCompletion<Spec extends ClaimedSpec>(claim: Spec | undefined, workerId: string, key: SigningKey) {
  const now = new Date().toISOString();
  const fields = {
    status: "done",
    hasExitCode: true,
    exitCode: 0,
    error: "",
    outputTail: "ok\n",
    startedAt: now,
    finishedAt: now,
    costUsd: 0,
    patch: { digest: EMPTY_DIGEST, bytes: 0, files: [] },
    imageDigest: "",
    inputTokens: 0,
    outputTokens: 0,
  };
  const lease: Spec["lease"] = claim?.lease;
  return { ...fields, lease, receiptEnvelope: signedStatement(claim, fields, workerId, key) };
}
