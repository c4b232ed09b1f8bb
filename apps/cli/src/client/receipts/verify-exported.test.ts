import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import {
  countersignRunReceipt,
  type DsseEnvelope,
  envelopePayload,
  generateSigningKey,
  payloadHash,
  type RunReceiptPredicate,
  signGroupReceipt,
  signRunReceipt,
} from "@pancode/receipts";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../exit-status.js";
import { verifyExportedReceipt } from "./verify-exported.js";

const dir = mkdtempSync(join(tmpdir(), "pancode-verify-exported-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const worker = generateSigningKey();
const coordinator = generateSigningKey();
const keysPath = write("keys.json", {
  keys: [
    { keyId: worker.keyId, role: "worker", ownerId: "w1", publicKeyPem: worker.publicKeyPem, revoked: false },
    { keyId: coordinator.keyId, role: "coordinator", ownerId: "c", publicKeyPem: coordinator.publicKeyPem },
  ],
});
const patch = Buffer.from("diff --git a/x b/x\n");

function write(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  return path;
}

/** Step `step` of chain-1, signed by the worker and countersigned by the coordinator. */
function stepReceipt(step: number, previous: DsseEnvelope | undefined): DsseEnvelope {
  const predicate: RunReceiptPredicate = {
    receiptId: `rc-${step}`,
    issuer: "worker",
    runId: `run-${step}`,
    attempt: 1,
    workerId: "w1",
    parameters: {
      task: `step ${step}`,
      taskHash: sha256Digest(`step ${step}`),
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
      patchDigest: sha256Digest(patch),
      patchBytes: patch.length,
      patchFiles: [],
    },
    batchId: "",
    chainId: "chain-1",
    step,
    previousReceiptDigest: previous ? payloadHash(envelopePayload(previous)) : "",
    createdAt: "2026-01-01T00:00:02.000Z",
  };
  return countersignRunReceipt(signRunReceipt(predicate, worker.privateKey), coordinator.privateKey);
}

const first = stepReceipt(1, undefined);
const second = stepReceipt(2, first);
const chain = signGroupReceipt(
  {
    receiptId: "chain-rc",
    kind: "chain",
    id: "chain-1",
    status: "done",
    error: "",
    failedStep: 0,
    costUsd: 0,
    createdAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:03.000Z",
    runs: [first, second].map((e, i) => ({
      step: i + 1,
      runId: `run-${i + 1}`,
      receiptId: `rc-${i + 1}`,
      receiptDigest: payloadHash(envelopePayload(e)),
    })),
  },
  coordinator.privateKey,
);
const runFiles = [write("run-1.json", first), write("run-2.json", second)];

describe("verifyExportedReceipt", () => {
  it("passes a run receipt with the patch it names, and names its run", async () => {
    const file = write("r1.json", first);
    const verdict = await verifyExportedReceipt({ file, keysPath, patchPath: write("ok.patch", patch) });
    expect(verdict).toMatchObject({ runId: "run-1", result: { ok: true, failures: [] } });
  });

  it("finds a run receipt TAMPERED against another patch", async () => {
    const file = write("r1.json", first);
    const { result } = await verifyExportedReceipt({ file, keysPath, patchPath: write("other.patch", "x") });
    expect(result.ok).toBe(false);
  });

  it("passes a chain receipt with its runs' receipts in step order, and names the chain", async () => {
    const { runId, result } = await verifyExportedReceipt({ file: write("chain.json", chain), keysPath, runFiles });
    expect(runId).toBeNull();
    expect(result).toMatchObject({ ok: true, group: { kind: "chain", id: "chain-1" } });
  });

  it("finds a chain receipt TAMPERED when a run receipt is left out or does not decode", async () => {
    const file = write("chain.json", chain);
    const dropped = await verifyExportedReceipt({ file, keysPath, runFiles: runFiles.slice(1) });
    expect(dropped.result.ok).toBe(false);
    const garbled = await verifyExportedReceipt({ file, keysPath, runFiles: [write("bad-run.json", "{")] });
    expect(garbled.result.failures[0]).toMatch(/^run receipt .*bad-run\.json: /);
  });

  it("finds an envelope that does not decode TAMPERED, and an unreadable file a usage error", async () => {
    const { result } = await verifyExportedReceipt({ file: write("garbage.json", "not json"), keysPath });
    expect(result).toMatchObject({ ok: false, coordinatorOnly: false });
    expect(result.failures[0]).toMatch(/^envelope: /);
    await expect(verifyExportedReceipt({ file: join(dir, "missing.json"), keysPath })).rejects.toThrow(UsageError);
  });
});
