import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import type { ClaimRunResponse, ClientApi, WorkerApi } from "@pancode/proto";
import { generateSigningKey, parseEnvelope, type RunReceiptPredicate, readStatement } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { signPredicate, usageEvent, workerPredicate } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// A compromised worker signs a receipt statement that lies about its run. The coordinator rebuilds the statement from
// its own records (the run row, the completion, the usage recorded from the run's events) and refuses every field
// that differs: the completion fails naming the field, an audit entry records it, and no receipt is stored.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let client: ClientApi;
let worker: WorkerApi;
const key = generateSigningKey();

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-receipt-checks-"));
  node = await startCoordinatorNode({ PANCODE_DATA_DIR: dataDir, DATABASE_URL: await freshDatabaseUrl(pg.url) });
  ({ client, worker } = node);
  await registerTestWorker(worker, { workerId: "evil", capacity: 8 }, key);
});

afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A dispatched and claimed run, with the completion an honest worker would send after reporting $0.02 of usage. */
async function claimedRun(task = "echo hi") {
  const { run } = await client.dispatch({
    task,
    agent: "shell",
    isolate: false,
    mode: "build",
    model: "",
    submitter: "t",
    safety: "full-auto",
    workspace: await uploadedWorkspace(client),
  });
  const runId = run?.id ?? "";
  const claim: ClaimRunResponse = await worker.claimRun({ runId, workerId: "evil", deliveryCount: 1 });
  const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
  await worker.reportEvents(lease, [usageEvent({ input: 100, output: 20, costUsd: 0.02 })]);
  const completion = {
    status: "done",
    hasExitCode: true,
    exitCode: 0,
    error: "",
    outputTail: "hi\n",
    startedAt: new Date(Date.now() - 1000).toISOString(),
    finishedAt: new Date().toISOString(),
    costUsd: 0.02,
    patch: undefined,
    imageDigest: "",
    inputTokens: 100,
    outputTokens: 20,
  };
  return { runId, lease, claim, completion, honest: () => workerPredicate(claim.spec, completion, "evil") };
}

/** Each lie a worker could tell, as fields laid over an honest predicate, and the field the refusal must name. */
const FORGERIES: [string, Record<string, unknown>, RegExp][] = [
  ["model", { parameters: { model: "anthropic/claude-opus-4" } }, /predicate\.parameters\.model/],
  ["cost", { results: { costUsd: 0.0001 } }, /predicate\.results\.costUsd/],
  ["tokens", { results: { tokens: { input: 1 } } }, /predicate\.results\.tokens\.input/],
  ["task hash", { parameters: { taskHash: sha256Digest("something else") } }, /predicate\.parameters\.taskHash/],
  ["exit code", { results: { exitCode: 1 } }, /predicate\.results\.exitCode/],
  ["agent spec digest", { parameters: { agentSpecDigest: sha256Digest("{}") } }, /agentSpecDigest/],
  ["safety level", { parameters: { safetyLevel: "suggest" } }, /predicate\.parameters\.safetyLevel/],
  ["read-only", { parameters: { readonly: true } }, /predicate\.parameters\.readonly/],
  ["isolate", { parameters: { isolate: true } }, /predicate\.parameters\.isolate/],
  ["base commit", { parameters: { baseCommit: "b".repeat(40) } }, /predicate\.parameters\.baseCommit/],
  ["receipt id", { receiptId: "00000000-0000-4000-8000-000000000000" }, /predicate\.receiptId/],
  ["an extra field", { approvedBy: "security team" }, /predicate\.approvedBy/],
];

/** `base` with `change` laid over it, object by object. */
function overlay(base: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(change)) {
    const inner = out[k];
    out[k] =
      typeof v === "object" && v !== null && typeof inner === "object" && inner !== null
        ? overlay(inner as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

describe("a forged receipt statement", () => {
  it.each(FORGERIES)("claiming another %s is refused, audited, and leaves no receipt", async (_name, lie, field) => {
    const { runId, lease, completion, honest } = await claimedRun();
    const forged = overlay({ ...honest() }, lie) as unknown as RunReceiptPredicate;
    const refused = worker.completeRun({ ...completion, lease, receiptEnvelope: signPredicate(forged, key) });
    await expect(refused).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(refused).rejects.toThrow(field);
    const run = await client.getRun(runId);
    expect(run.status).toBe("running");
    expect(run.receiptId).toBe("");
    await expect(client.getReceipt(runId)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const audit = await client.listAudit({ runId: runId.slice(0, 8) });
    expect(audit.find((e) => e.action === "receipt_refused")).toMatchObject({
      category: "safety",
      actor: "evil",
      message: expect.stringMatching(field),
    });
    // The same completion with the honest statement is countersigned.
    const answer = await worker.completeRun({ ...completion, lease, receiptEnvelope: signPredicate(honest(), key) });
    expect(answer.accepted).toBe(true);
  });

  it("whose totals differ from the usage its events reported is refused, even when completion and statement agree", async () => {
    const { lease, completion, claim } = await claimedRun();
    const cheaper = { ...completion, costUsd: 0.001, inputTokens: 1 };
    const statement = signPredicate(workerPredicate(claim.spec, cheaper, "evil"), key);
    await expect(worker.completeRun({ ...cheaper, lease, receiptEnvelope: statement })).rejects.toThrow(
      /predicate\.results\.tokens\.input \(events\).*predicate\.results\.costUsd \(events\)/,
    );
  });
});

describe("receipt ids", () => {
  it("are the coordinator's: one equal to another run's id cannot shadow that run's receipt", async () => {
    const victim = await claimedRun("echo victim");
    const victimAnswer = await worker.completeRun({
      ...victim.completion,
      lease: victim.lease,
      receiptEnvelope: signPredicate(victim.honest(), key),
    });
    expect(victimAnswer.accepted).toBe(true);

    const attacker = await claimedRun("echo attacker");
    for (const id of [victim.runId, victimAnswer.receiptId]) {
      const forged = attacker.honest();
      forged.receiptId = id;
      await expect(
        worker.completeRun({
          ...attacker.completion,
          lease: attacker.lease,
          receiptEnvelope: signPredicate(forged, key),
        }),
      ).rejects.toThrow(/predicate\.receiptId/);
    }
    const byRunId = readStatement(parseEnvelope((await client.getReceipt(victim.runId)).body));
    expect(byRunId.predicate.runId).toBe(victim.runId);
    expect(byRunId.predicate.parameters.task).toBe("echo victim");
    const byReceiptId = readStatement(parseEnvelope((await client.getReceipt(victimAnswer.receiptId)).body));
    expect(byReceiptId.predicate.runId).toBe(victim.runId);
  });
});
