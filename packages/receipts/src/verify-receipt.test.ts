import { sha256Digest } from "@pancode/core";
import {
  canonicalJson,
  countersignRunReceipt,
  type DsseEnvelope,
  generateSigningKey,
  pae,
  type RunReceiptPredicate,
  readStatement,
  type SigningKey,
  signEnvelope,
  signRunReceipt,
  type TrustedKey,
  verifyReceipt,
} from "@pancode/receipts";
import { describe, expect, it } from "vitest";

const worker = generateSigningKey();
const coordinator = generateSigningKey();
const stranger = generateSigningKey();
const PATCH = sha256Digest("diff --git a/x b/x\n");

function keys(extra: Record<string, TrustedKey> = {}): Record<string, TrustedKey> {
  return {
    [worker.keyId]: { publicKeyPem: worker.publicKeyPem, role: "worker", ownerId: "w1" },
    [coordinator.keyId]: { publicKeyPem: coordinator.publicKeyPem, role: "coordinator", ownerId: "coordinator" },
    ...extra,
  };
}

function predicate(): RunReceiptPredicate {
  return {
    receiptId: "rc-1",
    issuer: "worker",
    runId: "run-1",
    attempt: 1,
    workerId: "w1",
    parameters: {
      task: "sed -i s/a/b/ x",
      taskHash: sha256Digest("sed -i s/a/b/ x"),
      agent: "shell",
      agentSpecDigest: sha256Digest("{}"),
      runtime: "command",
      image: "pancode/agent:latest",
      imageDigest: sha256Digest("image"),
      model: "",
      provider: "",
      mode: "build",
      runtimeVersion: "0.73.1",
      tools: ["read", "edit"],
      parentRunId: "run-0",
      depth: 1,
      readonly: false,
      isolate: false,
      repoId: "repo",
      baseCommit: "c0ffee",
      stateDigest: sha256Digest("state"),
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
      patchDigest: PATCH,
      patchBytes: 19,
      patchFiles: ["x"],
    },
    batchId: "",
    chainId: "",
    step: 0,
    previousReceiptDigest: "",
    createdAt: "2026-01-01T00:00:02.000Z",
  };
}

function receipt(p: RunReceiptPredicate = predicate(), signer: SigningKey = worker): DsseEnvelope {
  return countersignRunReceipt(signRunReceipt(p, signer.privateKey), coordinator.privateKey);
}

/** Replaces the payload without re-signing: what an attacker without the keys can do. */
function withPayload(envelope: DsseEnvelope, payload: string): DsseEnvelope {
  return { ...envelope, payload: Buffer.from(payload, "utf8").toString("base64") };
}

// Every leaf of the predicate, as a path, with a changed value of the same type.
function leaves(value: unknown, path: string[] = []): { path: string[]; changed: unknown }[] {
  if (Array.isArray(value)) return [{ path, changed: [...value, "extra"] }];
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  const changed =
    typeof value === "number" ? value + 1 : typeof value === "boolean" ? !value : value === null ? 7 : `${value}x`;
  return [{ path, changed }];
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}

describe("verifyReceipt", () => {
  it("passes an untouched receipt", () => {
    const result = verifyReceipt(receipt(), { keys: keys(), expectedPatchDigest: PATCH });
    expect(result).toMatchObject({ ok: true, failures: [], coordinatorOnly: false });
    expect(result.statement?.predicate.runId).toBe("run-1");
  });

  it("signs the DSSE pre-authentication encoding", () => {
    expect(pae("t/x", Buffer.from("hello")).toString()).toBe("DSSEv1 3 t/x 5 hello");
    const envelope = receipt();
    expect(envelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(envelope.signatures.map((s) => s.keyid)).toEqual([worker.keyId, coordinator.keyId]);
    const statement = readStatement(envelope);
    expect(statement._type).toBe("https://in-toto.io/Statement/v1");
    expect(statement.subject.map((s) => s.name)).toEqual(["patch", "workspace"]);
    expect(statement.subject[0]?.digest.sha256).toBe(PATCH.slice(7));
  });

  const fields = leaves(predicate());
  it.each(fields.map((f) => [f.path.join("."), f]))("detects a change of %s", (_name, field) => {
    const original = receipt();
    const statement = readStatement(original) as unknown as Record<string, unknown>;
    setPath(statement.predicate as Record<string, unknown>, field.path, field.changed);
    const result = verifyReceipt(withPayload(original, canonicalJson(statement)), { keys: keys() });
    expect(result.ok).toBe(false);
    expect(result.failures.join("; ")).toMatch(/coordinator signature/);
  });

  it("covers every predicate field", () => {
    expect(fields.length).toBeGreaterThanOrEqual(35);
  });

  it("detects a patch swapped for another", () => {
    const result = verifyReceipt(receipt(), { keys: keys(), expectedPatchDigest: sha256Digest("other patch") });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual(["patch digest does not match the stored patch"]);
  });

  it("detects a signature by a key the cluster does not know", () => {
    const forged = countersignRunReceipt(signRunReceipt(predicate(), stranger.privateKey), coordinator.privateKey);
    const result = verifyReceipt(forged, { keys: keys() });
    expect(result.ok).toBe(false);
    expect(result.failures).toContain(`unknown key ${stranger.keyId}`);
    expect(result.failures.join("; ")).toMatch(/worker signature/);
  });

  it("detects a worker signature by another known worker than the one named", () => {
    const other = generateSigningKey();
    const forged = receipt(predicate(), other);
    const result = verifyReceipt(forged, {
      keys: keys({ [other.keyId]: { publicKeyPem: other.publicKeyPem, role: "worker", ownerId: "w2" } }),
    });
    expect(result.ok).toBe(false);
    expect(result.failures.join("; ")).toMatch(/worker signature/);
  });

  it("detects a payload re-hashed and re-encoded without the keys", () => {
    const original = receipt();
    const statement = readStatement(original);
    statement.predicate.results.status = "error";
    // Re-encoding with whitespace and recomputed hash: the hash matches its own payload, the signatures do not.
    const payload = JSON.stringify(statement, null, 2);
    const result = verifyReceipt(withPayload(original, payload), {
      keys: keys(),
      expectedPayloadHash: sha256Digest(payload),
    });
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^payload hash/),
        expect.stringMatching(/^worker signature/),
        expect.stringMatching(/^coordinator signature/),
      ]),
    );
  });

  it("detects a payload that no longer matches the recorded hash", () => {
    const result = verifyReceipt(receipt(), { keys: keys(), expectedPayloadHash: sha256Digest("x") });
    expect(result.failures).toEqual(["payload hash: does not match the recorded hash"]);
  });

  it("refuses a revoked key", () => {
    const trusted = keys();
    trusted[worker.keyId] = { ...(trusted[worker.keyId] as TrustedKey), revoked: true };
    const result = verifyReceipt(receipt(), { keys: trusted });
    expect(result.ok).toBe(false);
    expect(result.failures).toContain(`revoked key ${worker.keyId}`);
  });

  it("requires the coordinator countersignature", () => {
    const result = verifyReceipt(signRunReceipt(predicate(), worker.privateKey), { keys: keys() });
    expect(result.failures).toEqual(["coordinator signature: 0 valid signatures, expected exactly 1"]);
  });

  it("accepts a coordinator-only receipt only for runs the coordinator ended", () => {
    const p = { ...predicate(), issuer: "coordinator" as const };
    const own = signRunReceipt(p, coordinator.privateKey);
    expect(verifyReceipt(own, { keys: keys() })).toMatchObject({ ok: true, coordinatorOnly: true });
    // The same content claimed as a worker receipt lacks the worker signature.
    const claimed = signRunReceipt(predicate(), coordinator.privateKey);
    expect(verifyReceipt(claimed, { keys: keys() }).failures).toEqual([
      "worker signature: 0 valid signatures, expected exactly 1",
    ]);
  });

  it("refuses a payload signed as another payload type", () => {
    const envelope = signEnvelope(readStatementText(receipt()), "text/plain", worker.privateKey);
    expect(verifyReceipt(envelope, { keys: keys() }).ok).toBe(false);
  });
});

function readStatementText(envelope: DsseEnvelope): string {
  return Buffer.from(envelope.payload, "base64").toString("utf8");
}
