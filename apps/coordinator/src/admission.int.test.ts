import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import type { ClientApi, DispatchRequestInput, WorkerApi } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { signedStatement, usageEvent } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// The admission pipeline through the real gRPC API on real Postgres. Each request fails two gates and must be
// refused by the earlier one, with that gate's gRPC status and exactly one audit entry naming the gate.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let client: ClientApi;
let worker: WorkerApi;

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-admission-"));
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_DEFAULT_AGENT: "shell",
    PANCODE_BUDGET_CEILING: "10",
    PANCODE_PER_RUN_BUDGET: "0.07",
  });
  ({ client, worker } = node);
});

afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function request(overrides: Partial<DispatchRequestInput>): Promise<DispatchRequestInput> {
  return {
    task: "true",
    agent: "shell",
    isolate: false,
    mode: "build",
    safety: "full-auto",
    model: "",
    submitter: "gate-tester",
    workspace: await uploadedWorkspace(client),
    ...overrides,
  };
}

const totalEntries = async () => (await client.listAudit({ limit: 1000 })).length;

/** Dispatches, expects a refusal by `gate` with `grpcStatus`, and exactly one new audit entry saying so. */
async function expectRefusal(overrides: Partial<DispatchRequestInput>, gate: string, grpcStatus: status) {
  const before = await totalEntries();
  const err = await client.dispatch(await request(overrides)).then(
    () => {
      throw new Error(`dispatch was admitted, expected a refusal by the ${gate} gate`);
    },
    (e: unknown) => e as Error & { code: string; cause: { code: number } },
  );
  expect(err.message).toMatch(/^Dispatch blocked: /);
  expect(err.cause.code).toBe(grpcStatus);
  expect(await totalEntries()).toBe(before + 1);
  const [entry] = await client.listAudit({ limit: 1 });
  expect(entry).toMatchObject({ category: "dispatch", action: "refused", gate, actor: "admin", runId: "" });
  expect(entry?.message).toBe(err.message);
  return err;
}

describe("admission gates, in order", () => {
  it("plan mode + empty task: the mode gate", async () => {
    await expectRefusal({ mode: "plan", task: "  " }, "mode", status.FAILED_PRECONDITION);
  });

  it("review mode with a writing agent + empty task: the mutation gate", async () => {
    await expectRefusal({ mode: "review", task: "" }, "mutation", status.PERMISSION_DENIED);
  });

  it("empty task + exhausted budget: the task gate; budget + unknown agent: the budget gate", async () => {
    await client.setBudget(0.05, "gate-tester");
    await expectRefusal({ task: " \n" }, "task", status.INVALID_ARGUMENT);
    const err = await expectRefusal({ agent: "no-such-agent" }, "budget", status.RESOURCE_EXHAUSTED);
    expect(err.message).toBe(
      "Dispatch blocked: Budget ceiling would be exceeded (spent: $0.00, estimated next: $0.07, ceiling: $0.05)",
    );
    await client.setBudget(10, "gate-tester");
  });

  it("unknown agent + no worker: the agent gate; no worker: the routing gate", async () => {
    const err = await expectRefusal({ agent: "no-such-agent" }, "agent", status.NOT_FOUND);
    expect(err.message).toContain("shell");
    await expectRefusal({}, "routing", status.FAILED_PRECONDITION);
  });

  it("an admitted run records its admission, start and completion", async () => {
    const key = generateSigningKey();
    await registerTestWorker(worker, { workerId: "wa" }, key);
    const { run } = await client.dispatch(await request({}));
    const runId = run?.id ?? "";
    const claim = await worker.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    await worker.reportEvents(lease, [usageEvent({ input: 10, output: 5, costUsd: 0.01 })]);
    const completion = {
      status: "done",
      hasExitCode: true,
      exitCode: 0,
      error: "",
      outputTail: "",
      startedAt: "",
      finishedAt: new Date().toISOString(),
      costUsd: 0.01,
      patch: undefined,
      imageDigest: "",
      inputTokens: 10,
      outputTokens: 5,
    };
    await worker.completeRun({
      ...completion,
      lease,
      receiptEnvelope: signedStatement(claim.spec, completion, "wa", key),
    });
    const entries = await client.listAudit({ runId: runId.slice(0, 8) });
    expect(entries.map((e) => [e.category, e.action, e.actor])).toEqual([
      ["run", "completed", "wa"],
      ["run", "started", "wa"],
      ["dispatch", "admitted", "admin"],
    ]);
    expect(JSON.parse(entries[0]?.dataJson ?? "{}")).toMatchObject({
      status: "done",
      inputTokens: 10,
      outputTokens: 5,
    });
    const budget = await client.listAudit({ category: "budget" });
    expect(budget.map((e) => [e.action, e.actor, JSON.parse(e.dataJson)])).toEqual([
      ["ceiling_set", "admin", { fromUsd: 0.05, toUsd: 10 }],
      ["ceiling_set", "admin", { fromUsd: 10, toUsd: 0.05 }],
    ]);
    expect((await client.listAudit({ category: "worker" }))[0]).toMatchObject({ action: "joined", actor: "wa" });
  });

  it("audits a run's safety findings: known actions only, at most 16 of one report", async () => {
    await registerTestWorker(worker, { workerId: "wf" });
    const { run } = await client.dispatch(await request({}));
    const runId = run?.id ?? "";
    const claim = await worker.claimRun({ runId, workerId: "wf", deliveryCount: 1 });
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    const at = new Date().toISOString();
    const refusals = Array.from({ length: 20 }, (_, i) => ({
      at,
      kind: "safety",
      text: `proxy_refused: the model proxy refused connect 127.0.0.1:${4000 + i}`,
    }));
    await worker.reportEvents(lease, [
      { at, kind: "safety", text: "usage_mismatch: the agent reported 5 input and 1 output tokens" },
      { at, kind: "safety", text: "budget_set: not a finding a worker may report" },
      { at, kind: "log", text: "proxy_refused: a plain note is not audited" },
      ...refusals,
    ]);
    const safety = await client.listAudit({ runId: runId.slice(0, 8), category: "safety" });
    const actions = safety.map((e) => e.action);
    expect(actions.filter((a) => a === "usage_mismatch")).toHaveLength(1);
    expect(actions.filter((a) => a === "proxy_refused")).toHaveLength(15);
    expect(actions).not.toContain("budget_set");
    expect(safety.map((e) => e.message)).toContain("the agent reported 5 input and 1 output tokens");
  });

  it("draining + empty task: the drain gate; the whole trail verifies", async () => {
    expect(await client.drain("gate-tester")).toMatchObject({ draining: true, alreadyDraining: false });
    expect(await client.drain("gate-tester")).toMatchObject({ draining: true, alreadyDraining: true });
    expect((await client.listAudit({ category: "drain" })).map((e) => e.action)).toEqual(["drain_started"]);
    await expectRefusal({ task: "" }, "drain", status.UNAVAILABLE);
    await expect(client.listAudit({ category: "nonsense" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    const verdict = await client.verifyAudit();
    expect(verdict).toMatchObject({ ok: true, brokenSeq: 0 });
    expect(verdict.entries).toBe(await totalEntries());
  });
});
