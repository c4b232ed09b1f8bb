import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_DIGEST } from "@pancode/core";
import type { ClaimRunResponse, ClientApi, CompleteRunRequest } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { signedStatement } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// Batches and chains live in the coordinator's database: a coordinator restarted between two steps goes on where
// the previous one stopped. A scripted worker (real gRPC client) claims and completes the runs.

let pg: PostgresServer;
let dataDir: string;
let databaseUrl: string;

beforeAll(async () => {
  pg = await startPostgres();
  databaseUrl = await freshDatabaseUrl(pg.url);
  dataDir = await mkdtemp(join(tmpdir(), "pancode-orch-"));
});

afterAll(async () => {
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A coordinator on the shared database and data dir, with the scripted worker "wa" registered. */
async function startNode(): Promise<CoordinatorNode> {
  const node = await startCoordinatorNode({
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PANCODE_HEARTBEAT_MS: "5000",
  });
  await registerTestWorker(node.worker, { workerId: "wa", capacity: 4 }, workerKey);
  return node;
}

async function submission(client: ClientApi) {
  return {
    isolate: false,
    workspace: await uploadedWorkspace(client),
    mode: "build",
    safety: "full-auto",
    model: "",
    submitter: "tester@host",
    agentFiles: [],
    maxCostUsd: 0,
  };
}

const workerKey = generateSigningKey();

/** The completion worker "wa" sends for a claimed run, with the statement it signs for it. */
function completionOf(
  claim: ClaimRunResponse["spec"],
  fields: Omit<CompleteRunRequest, "lease" | "receiptEnvelope">,
): CompleteRunRequest {
  return { ...fields, lease: claim?.lease, receiptEnvelope: signedStatement(claim, fields, "wa", workerKey) };
}

/** Claims and completes a run as worker "wa"; `status` done unless given. */
async function runToEnd(node: CoordinatorNode, runId: string, outputTail: string, status = "done"): Promise<void> {
  const claim = await node.worker.claimRun({ runId, workerId: "wa", deliveryCount: 1 });
  if (!claim.spec) throw new Error(`run ${runId} not claimed: ${claim.skipReason}`);
  const now = new Date().toISOString();
  const done = completionOf(claim.spec, {
    status,
    hasExitCode: true,
    exitCode: status === "done" ? 0 : 1,
    error: status === "done" ? "" : "exit code 1",
    outputTail,
    startedAt: now,
    finishedAt: now,
    costUsd: 0,
    patch: { digest: EMPTY_DIGEST, bytes: 0, files: [] },
    imageDigest: "",
    inputTokens: 0,
    outputTokens: 0,
  });
  expect(await node.worker.completeRun(done)).toMatchObject({ accepted: true });
}

describe("a coordinator restart", () => {
  it("loses neither a chain nor a batch: the new coordinator starts their next runs", async () => {
    let node = await startNode();
    const base = await submission(node.client);
    const chain = await node.client.createChain({
      ...base,
      steps: [
        { agent: "shell", task: "echo one" },
        { agent: "shell", task: "echo got $INPUT" },
      ],
      originalTask: "",
      refine: undefined,
    });
    const batch = await node.client.createBatch({
      ...base,
      items: [
        { task: "echo a", agent: "shell", runId: "", error: "" },
        { task: "echo b", agent: "shell", runId: "", error: "" },
      ],
      concurrency: 1,
      staggerMs: 0,
      team: "",
    });
    expect(chain.runs).toHaveLength(1);
    expect(batch.runs).toHaveLength(1);
    const step1 = chain.runs[0]?.id ?? "";
    const item1 = batch.runs[0]?.id ?? "";
    // The claims happen on the first coordinator, the completions on the second.
    const claimStep = await node.worker.claimRun({ runId: step1, workerId: "wa", deliveryCount: 1 });
    expect(claimStep.spec?.chainId).toBe(chain.id);
    await node.close();

    node = await startNode();
    const now = new Date().toISOString();
    await node.worker.completeRun(
      completionOf(claimStep.spec, {
        status: "done",
        hasExitCode: true,
        exitCode: 0,
        error: "",
        outputTail: "one\n",
        startedAt: now,
        finishedAt: now,
        costUsd: 0,
        patch: { digest: EMPTY_DIGEST, bytes: 0, files: [] },
        imageDigest: "",
        inputTokens: 0,
        outputTokens: 0,
      }),
    );
    await runToEnd(node, item1, "a\n");
    await expect.poll(async () => (await node.client.getChain(chain.id)).runs.length, { timeout: 10_000 }).toBe(2);
    const advanced = await node.client.getChain(chain.id);
    expect(advanced.runs[1]?.task).toBe("echo got one");
    await expect.poll(async () => (await node.client.getBatch(batch.id)).runs.length, { timeout: 10_000 }).toBe(2);

    await runToEnd(node, advanced.runs[1]?.id ?? "", "got one\n");
    await runToEnd(node, (await node.client.getBatch(batch.id)).runs[1]?.id ?? "", "b\n");
    await expect.poll(async () => (await node.client.getChain(chain.id)).status, { timeout: 10_000 }).toBe("done");
    await expect.poll(async () => (await node.client.getBatch(batch.id)).status, { timeout: 10_000 }).toBe("done");
    const listed = await node.client.listBatches(10);
    expect(listed.find((b) => b.id === batch.id)?.counts).toEqual([{ status: "done", count: 2 }]);
    await node.close();
  });
});
