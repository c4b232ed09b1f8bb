import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientApi, WorkerApi } from "@pancode/proto";
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

// The budget gate through the real gRPC API on real Postgres: a ceiling of $1.00 and a per-run estimate of $0.07
// admit exactly 14 runs (14 x 0.07 = 0.98), however the 100 dispatches interleave.

let pg: PostgresServer;
let dataDir: string;
let databaseUrl: string;
let node: CoordinatorNode | undefined;
let client: ClientApi;
let worker: WorkerApi;

const workerKey = generateSigningKey();
const FULL = "Dispatch blocked: Budget ceiling would be exceeded (spent: $0.98, estimated next: $0.07, ceiling: $1.00)";

async function start(ceiling: string): Promise<void> {
  node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PANCODE_DEFAULT_AGENT: "shell",
    PANCODE_BUDGET_CEILING: ceiling,
    PANCODE_PER_RUN_BUDGET: "0.07",
  });
  ({ client, worker } = node);
  await registerTestWorker(worker, { workerId: "wa", capacity: 2 }, workerKey);
}

async function stop(): Promise<void> {
  await node?.close();
}

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-budget-"));
  databaseUrl = await freshDatabaseUrl(pg.url);
  await start("1.00");
});

afterAll(async () => {
  await stop();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const workspace = () => uploadedWorkspace(client);

const dispatch = (ws: Awaited<ReturnType<typeof workspace>>, agent = "shell") =>
  client.dispatch({
    task: "true",
    agent,
    isolate: false,
    mode: "build",
    model: "",
    submitter: "t",
    safety: "full-auto",
    workspace: ws,
  });

describe("budget", () => {
  it("admits exactly 14 of 100 concurrent dispatches and refuses the rest with the exact message", async () => {
    const ws = await workspace();
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => dispatch(ws)));
    const admitted = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(admitted).toHaveLength(14);
    expect(refused).toHaveLength(86);
    for (const r of refused) expect(r.reason).toMatchObject({ code: "BUDGET_EXCEEDED", message: FULL });
    expect((await client.listRuns(1000)).length).toBe(14);
    expect(await client.getBudget()).toEqual({
      ceilingUsd: 1,
      spentUsd: 0,
      reservedUsd: 0.98,
      remainingUsd: 0.02,
      estimatedNextUsd: 0.07,
      runs: 14,
      tokens: 0,
      inputTokens: 0,
      outputTokens: 0,
      team: "",
    });
  });

  it("reports the budget gate before agent resolution", async () => {
    await expect(dispatch(await workspace(), "no-such-agent")).rejects.toMatchObject({ message: FULL });
  });

  it("estimates an agent without history from its configured estimate before the per-run budget", async () => {
    const agentFiles = [{ path: ".pancode/agents/pricey.md", content: "---\nruntime: command\nestimate: 0.25\n---\n" }];
    const refused = client.dispatch({
      task: "true",
      agent: "pricey",
      isolate: false,
      mode: "build",
      model: "",
      submitter: "t",
      safety: "full-auto",
      workspace: await workspace(),
      agentFiles,
    });
    await expect(refused).rejects.toMatchObject({
      code: "BUDGET_EXCEEDED",
      message: expect.stringContaining("estimated next: $0.25,"),
    });
  });

  it("settles a completion to its actual cost and estimates the next run from it", async () => {
    const [run] = await client.listRuns(1);
    const runId = run?.id ?? "";
    const claim = await worker.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
    const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
    // The usage the worker reported while the run went; its completion and receipt must agree with it.
    await worker.reportEvents(lease, [usageEvent({ input: 1200, output: 345, costUsd: 0.05 })]);
    const facts = {
      status: "error",
      hasExitCode: true,
      exitCode: 1,
      error: "failed after spending",
      outputTail: "",
      startedAt: "",
      finishedAt: new Date().toISOString(),
      costUsd: 0.05,
      patch: undefined,
      imageDigest: "",
      inputTokens: 1200,
      outputTokens: 345,
    };
    const completion = { ...facts, receiptEnvelope: signedStatement(claim.spec, facts, "wa", workerKey) };
    expect(await worker.completeRun({ ...completion, lease: claim.spec?.lease })).toMatchObject({ accepted: true });
    expect(await worker.completeRun({ ...completion, lease: claim.spec?.lease })).toMatchObject({ accepted: false });
    // The failed run is charged what it spent; its reservation is released exactly once.
    expect(await client.getBudget()).toMatchObject({
      spentUsd: 0.05,
      reservedUsd: 0.91,
      remainingUsd: 0.04,
      estimatedNextUsd: 0.05,
      // The run's tokens are recorded with its completion and summed over all runs.
      tokens: 1545,
      inputTokens: 1200,
      outputTokens: 345,
    });
    // 0.05 + 0.91 + 0.05 > 1.00
    await expect(dispatch(await workspace())).rejects.toMatchObject({
      message:
        "Dispatch blocked: Budget ceiling would be exceeded (spent: $0.96, estimated next: $0.05, ceiling: $1.00)",
    });
  });

  it("SetBudget raises the ceiling (kept across a restart) and refuses a ceiling that is not positive", async () => {
    await expect(client.setBudget(0)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(client.setBudget(-5)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(await client.setBudget(25)).toMatchObject({ ceilingUsd: 25, spentUsd: 0.05, reservedUsd: 0.91 });
    await dispatch(await workspace());
    expect(await client.getBudget()).toMatchObject({ ceilingUsd: 25, reservedUsd: 0.96, runs: 15 });
    await stop();
    await start("1.00");
    expect((await client.getBudget()).ceilingUsd).toBe(25);
  });
});
