import { randomUUID } from "node:crypto";
import { EMPTY_DIGEST, sha256Digest } from "@pancode/core";
import { type RunReceiptPredicate, type SigningKey, signRunReceipt } from "@pancode/receipts";

/** What a test worker's statement says about the run it completes. */
export interface StatementFacts {
  runId: string;
  workerId: string;
  status: string;
  attempt?: number;
  patchDigest?: string;
  task?: string;
  baseCommit?: string;
  /** Batch or chain facts, as the claim's spec hands them to the worker. */
  batchId?: string;
  chainId?: string;
  step?: number;
  previousReceiptDigest?: string;
}

/**
 * The predicate a worker would sign for a `shell` run (`true`), with the facts the coordinator checks set from
 * `facts`. Tests that speak the worker protocol by hand use it, since a completion must carry a signed statement.
 */
export function workerPredicate(facts: StatementFacts): RunReceiptPredicate {
  const task = facts.task ?? "true";
  const patchDigest = facts.patchDigest ?? EMPTY_DIGEST;
  return {
    receiptId: randomUUID(),
    issuer: "worker",
    runId: facts.runId,
    attempt: facts.attempt ?? 1,
    workerId: facts.workerId,
    parameters: {
      task,
      taskHash: sha256Digest(task),
      agent: "shell",
      agentSpecDigest: EMPTY_DIGEST,
      runtime: "command",
      image: "",
      imageDigest: "",
      model: "",
      provider: "",
      mode: "build",
      readonly: false,
      isolate: false,
      repoId: "r",
      baseCommit: facts.baseCommit ?? "a".repeat(40),
      stateDigest: EMPTY_DIGEST,
    },
    results: {
      status: facts.status,
      exitCode: 0,
      startedAt: "",
      finishedAt: "",
      durationMs: 0,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      outputHash: EMPTY_DIGEST,
      patchDigest,
      patchBytes: 0,
      patchFiles: [],
    },
    batchId: facts.batchId ?? "",
    chainId: facts.chainId ?? "",
    step: facts.step ?? 0,
    previousReceiptDigest: facts.previousReceiptDigest ?? "",
    createdAt: new Date().toISOString(),
  };
}

/** The DSSE envelope (JSON text) of {@link workerPredicate}, signed with `key`, as CompleteRun carries it. */
export function signedStatement(facts: StatementFacts, key: SigningKey): string {
  return JSON.stringify(signRunReceipt(workerPredicate(facts), key.privateKey));
}
