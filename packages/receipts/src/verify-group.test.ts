import { sha256Digest } from "@pancode/core";
import {
  countersignRunReceipt,
  type DsseEnvelope,
  envelopePayload,
  type GroupReceiptPredicate,
  generateSigningKey,
  payloadHash,
  type RunReceiptPredicate,
  readStatement,
  signGroupReceipt,
  signRunReceipt,
  type TrustedKey,
  verifyGroupReceipt,
} from "@pancode/receipts";
import { describe, expect, it } from "vitest";

const worker = generateSigningKey();
const coordinator = generateSigningKey();
const stranger = generateSigningKey();
const keys: Record<string, TrustedKey> = {
  [worker.keyId]: { publicKeyPem: worker.publicKeyPem, role: "worker", ownerId: "w1" },
  [coordinator.keyId]: { publicKeyPem: coordinator.publicKeyPem, role: "coordinator", ownerId: "coordinator" },
};

function stepPredicate(step: number, previousReceiptDigest: string, chainId = "chain-1"): RunReceiptPredicate {
  const task = `step ${step}`;
  return {
    receiptId: `rc-${step}`,
    issuer: "worker",
    runId: `run-${step}`,
    attempt: 1,
    workerId: "w1",
    parameters: {
      task,
      taskHash: sha256Digest(task),
      agent: "shell",
      agentSpecDigest: sha256Digest("{}"),
      runtime: "command",
      image: "pancode/agent:dev",
      imageDigest: "",
      model: "",
      provider: "",
      mode: "build",
      readonly: false,
      isolate: false,
      repoId: "repo",
      baseCommit: "c0ffee",
      stateDigest: sha256Digest(""),
    },
    results: {
      status: "done",
      exitCode: 0,
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:00:01.000Z",
      durationMs: 1000,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: 0,
      outputHash: sha256Digest(""),
      patchDigest: sha256Digest(""),
      patchBytes: 0,
      patchFiles: [],
    },
    batchId: "",
    chainId,
    step,
    previousReceiptDigest,
    createdAt: "2026-01-01T00:00:02.000Z",
  };
}

const digestOf = (e: DsseEnvelope) => payloadHash(envelopePayload(e));

/** A chain of `n` step receipts, each linking to the one before, and the coordinator's chain receipt. */
function chain(n: number): { steps: DsseEnvelope[]; group: DsseEnvelope; predicate: GroupReceiptPredicate } {
  const steps: DsseEnvelope[] = [];
  for (let step = 1; step <= n; step++) {
    const previous = steps.at(-1);
    const p = stepPredicate(step, previous ? digestOf(previous) : "");
    steps.push(countersignRunReceipt(signRunReceipt(p, worker.privateKey), coordinator.privateKey));
  }
  const predicate: GroupReceiptPredicate = {
    receiptId: "chain-rc",
    kind: "chain",
    id: "chain-1",
    status: "done",
    error: "",
    failedStep: 0,
    costUsd: 0,
    createdAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:03.000Z",
    runs: steps.map((e, i) => ({
      step: i + 1,
      runId: `run-${i + 1}`,
      receiptId: `rc-${i + 1}`,
      receiptDigest: digestOf(e),
    })),
  };
  return { steps, group: signGroupReceipt(predicate, coordinator.privateKey), predicate };
}

describe("verifyGroupReceipt", () => {
  it("passes an untouched chain: group receipt, step receipts and their hash links", () => {
    const { steps, group } = chain(3);
    expect(verifyGroupReceipt(group, steps, { keys })).toMatchObject({ ok: true, failures: [] });
    expect(readStatement(steps[2] as DsseEnvelope).predicate.previousReceiptDigest).toBe(
      digestOf(steps[1] as DsseEnvelope),
    );
  });

  it("detects a step receipt removed", () => {
    const { steps, group } = chain(3);
    const result = verifyGroupReceipt(group, [steps[0], steps[2]] as DsseEnvelope[], { keys });
    expect(result.ok).toBe(false);
    expect(result.failures.join("\n")).toMatch(/lists 3 run receipt\(s\), 2 given/);
    expect(result.failures.join("\n")).toMatch(/step 2: receipt is not the one the chain receipt lists there/);
    expect(result.failures.join("\n")).toMatch(/broken chain link/);
  });

  it("detects step receipts reordered", () => {
    const { steps, group } = chain(3);
    const result = verifyGroupReceipt(group, [steps[1], steps[0], steps[2]] as DsseEnvelope[], { keys });
    expect(result.ok).toBe(false);
    expect(result.failures.join("\n")).toMatch(/removed or reordered/);
  });

  it("detects a chain receipt rewritten to drop a step without the coordinator's key", () => {
    const { steps, predicate } = chain(3);
    const forged = signGroupReceipt(
      { ...predicate, runs: [predicate.runs[0], predicate.runs[2]].filter((r) => r !== undefined) },
      stranger.privateKey,
    );
    const result = verifyGroupReceipt(forged, [steps[0], steps[2]] as DsseEnvelope[], { keys });
    expect(result.ok).toBe(false);
    expect(result.failures).toContain(`unknown key ${stranger.keyId}`);
    // Even with its list matching, step 3 still links to the removed step 2.
    expect(result.failures.join("\n")).toMatch(/step 3: broken chain link/);
  });

  it("detects a step receipt that names another chain", () => {
    const { steps, predicate } = chain(2);
    const other = countersignRunReceipt(
      signRunReceipt(stepPredicate(2, digestOf(steps[0] as DsseEnvelope), "chain-2"), worker.privateKey),
      coordinator.privateKey,
    );
    const runs = [predicate.runs[0], { step: 2, runId: "run-2", receiptId: "rc-2", receiptDigest: digestOf(other) }];
    const group = signGroupReceipt({ ...predicate, runs: runs.filter((r) => r !== undefined) }, coordinator.privateKey);
    const result = verifyGroupReceipt(group, [steps[0], other] as DsseEnvelope[], { keys });
    expect(result.failures.join("\n")).toMatch(/names chain chain-2 step 2, not chain-1 step 2/);
  });
});
