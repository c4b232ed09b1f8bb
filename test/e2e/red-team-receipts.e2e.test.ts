import { sha256Digest } from "@pancode/core";
import { clientCredentials, createWorkerApi, type WorkerApi } from "@pancode/proto";
import { generateSigningKey, type RunReceiptPredicate } from "@pancode/receipts";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { signPredicate, usageEvent, workerPredicate } from "@pancode/testing/worker-receipts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Red team, receipts and caps, through the real CLI, coordinator, NATS and Postgres. The attacker is a compromised
// worker: a process holding the real worker token and its own registered key, speaking the worker gRPC API by hand.
// It completes runs with receipt statements that lie, and tries to plant a receipt under another run's id. A
// repository's agent files try to size the sandbox. Then a real worker runs a task, to show honest receipts pass.
//
// | attack                                              | before                          | after                      |
// | --------------------------------------------------- | ------------------------------- | -------------------------- |
// | statement claims another model/cost/tokens/task/exit | countersigned and stored        | refused naming the field, audited, no receipt |
// | receipt id = another run's id                       | `receipt <that run>` shows it   | refused; the run's own receipt is shown |
// | agent file asks 9 TB memory / 100000 pids           | passed to Docker                | refused at admission, one line naming field, value, cap, variable |

let cluster: Cluster;
let repo: FixtureRepo;
let evil: WorkerApi;
let heartbeat: NodeJS.Timeout;
const key = generateSigningKey();
/** Runs the attacker holds: its heartbeats keep their leases alive, as a real worker's would. */
const holding = new Set<string>();

beforeAll(async () => {
  // No honest worker yet: the attacker is the only worker, so every run goes to it.
  cluster = await startCluster({ workers: 0 });
  repo = await createRepo({
    files: {
      "a.txt": "foo\n",
      ".pancode/agents/greedy.md": "---\nruntime: command\nlimits:\n  memoryMb: 9437184\n---\n",
      ".pancode/agents/forky.md": "---\nruntime: command\nlimits:\n  pids: 100000\n---\n",
    },
  });
  evil = createWorkerApi({
    address: cluster.address,
    token: cluster.workerToken,
    credentials: clientCredentials({ tls: false, caPath: "" }),
  });
  await evil.register(
    {
      workerId: "evil",
      pool: "default",
      sandbox: "docker",
      capacity: 4,
      version: "test",
      runtimes: ["command"],
      providers: [],
      publicKeyPem: key.publicKeyPem,
    },
    key.privateKey,
  );
  heartbeat = setInterval(() => void evil.heartbeat("evil", [...holding]).catch(() => {}), 200);
}, 120_000);

afterAll(async () => {
  clearInterval(heartbeat);
  evil?.close();
  await cluster?.stop();
  await repo?.cleanup();
});

/** Dispatches `task` with the real CLI and claims it as the attacker, after reporting $0.03 of model usage. */
async function dispatchAndClaim(task: string) {
  const dispatched = await cluster.cli(["dispatch", task, "--agent", "shell", "--json"], { cwd: repo.dir });
  expect(dispatched.code, dispatched.stderr).toBe(0);
  const runId = (JSON.parse(dispatched.stdout) as { runId: string }).runId;
  const claim = await evil.claimRun({ runId, workerId: "evil", deliveryCount: 1 });
  expect(claim.spec, claim.skipReason).toBeDefined();
  holding.add(runId);
  const lease = claim.spec?.lease ?? { runId, attempt: 1, leaseToken: "" };
  await evil.reportEvents(lease, [usageEvent({ input: 1000, output: 200, costUsd: 0.03 })]);
  const completion = {
    status: "done",
    hasExitCode: true,
    exitCode: 0,
    error: "",
    outputTail: "ok\n",
    startedAt: new Date(Date.now() - 500).toISOString(),
    finishedAt: new Date().toISOString(),
    costUsd: 0.03,
    patch: undefined,
    imageDigest: "",
    inputTokens: 1000,
    outputTokens: 200,
  };
  const honest = () => workerPredicate(claim.spec, completion, "evil");
  const complete = (predicate: RunReceiptPredicate) =>
    evil.completeRun({ ...completion, lease, receiptEnvelope: signPredicate(predicate, key) });
  return { runId, honest, complete };
}

async function auditOf(runId: string): Promise<{ category: string; action: string; actor: string; message: string }[]> {
  const listed = await cluster.cli(["audit", `run:${runId.slice(0, 8)}`, "--json"], { cwd: repo.dir });
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout).entries;
}

async function receiptJson(id: string): Promise<{ code: number; predicate?: RunReceiptPredicate; stderr: string }> {
  const shown = await cluster.cli(["receipt", "show", id, "--json"], { cwd: repo.dir });
  if (shown.code !== 0) return { code: shown.code, stderr: shown.stderr };
  const body = JSON.parse(shown.stdout);
  return { code: 0, predicate: body.statement?.predicate ?? body.predicate, stderr: shown.stderr };
}

let victimRunId = "";

describe("a compromised worker forging receipt fields", () => {
  it("is refused for every lie, on the record, and the run gets no receipt until the statement is true", async () => {
    const run = await dispatchAndClaim("echo forged");
    const lies: [string, (p: RunReceiptPredicate) => void][] = [
      ["predicate.parameters.model", (p) => Object.assign(p.parameters, { model: "anthropic/claude-opus-4" })],
      ["predicate.results.costUsd", (p) => Object.assign(p.results, { costUsd: 0.000001 })],
      ["predicate.results.tokens.output", (p) => Object.assign(p.results.tokens, { output: 1 })],
      ["predicate.parameters.taskHash", (p) => Object.assign(p.parameters, { taskHash: sha256Digest("rm -rf /") })],
      ["predicate.results.exitCode", (p) => Object.assign(p.results, { exitCode: 42 })],
    ];
    for (const [field, lie] of lies) {
      const forged = run.honest();
      lie(forged);
      const refused = await run.complete(forged).catch((e: unknown) => e as Error & { code: string });
      expect(refused, field).toMatchObject({ code: "INVALID_ARGUMENT" });
      expect((refused as Error).message).toContain(field);
    }
    const refusals = (await auditOf(run.runId)).filter((e) => e.action === "receipt_refused");
    expect(refusals).toHaveLength(lies.length);
    for (const e of refusals) expect(e).toMatchObject({ category: "safety", actor: "evil" });
    expect((await receiptJson(run.runId)).code).not.toBe(0);

    // The true statement is countersigned, and verifies.
    expect(await run.complete(run.honest())).toMatchObject({ accepted: true });
    holding.delete(run.runId);
    const verified = await cluster.cli(["receipt", "verify", run.runId], { cwd: repo.dir });
    expect(verified.stdout).toMatch(/^PASS /);
    victimRunId = run.runId;
  });
});

describe("a receipt id chosen to shadow another run's receipt", () => {
  it("is refused: the coordinator assigns receipt ids, and a run's id always finds that run's receipt", async () => {
    expect(victimRunId).not.toBe("");
    const attacker = await dispatchAndClaim("echo shadow");
    const forged = attacker.honest();
    forged.receiptId = victimRunId;
    await expect(attacker.complete(forged)).rejects.toThrow(/predicate\.receiptId/);
    const shown = await receiptJson(victimRunId);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.predicate).toMatchObject({ runId: victimRunId, parameters: { task: "echo forged" } });
    expect(await attacker.complete(attacker.honest())).toMatchObject({ accepted: true });
    holding.delete(attacker.runId);
  });
});

describe("a repository agent file sizing the sandbox", () => {
  it.each([
    ["greedy", 'agent "greedy" asks limits.memoryMb 9t, over the cluster maximum 8g (raise PANCODE_MAX_MEMORY'],
    ["forky", 'agent "forky" asks limits.pids 100000, over the cluster maximum 4096 (raise PANCODE_MAX_PIDS'],
  ])("%s is refused at admission with one line naming field, value, cap and variable", async (agent, message) => {
    const result = await cluster.cli(["dispatch", "true", "--agent", agent, "--wait"], { cwd: repo.dir });
    expect(result.code).toBe(4);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("and a --timeout over PANCODE_MAX_TIMEOUT is refused the same way", async () => {
    const result = await cluster.cli(["dispatch", "true", "--agent", "shell", "--timeout", "3h"], { cwd: repo.dir });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("asks timeout 3h, over the cluster maximum 2h (raise PANCODE_MAX_TIMEOUT");
  });
});

describe("an honest worker", () => {
  it("still gets its receipts countersigned: its statement is exactly what the coordinator rebuilds", async () => {
    clearInterval(heartbeat);
    await cluster.startWorker("honest");
    const result = await cluster.cli(["dispatch", "sed -i s/foo/bar/ a.txt", "--agent", "shell", "--wait", "--json"], {
      cwd: repo.dir,
    });
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run.status).toBe("done");
    const verified = await cluster.cli(["receipt", "verify", run.runId], { cwd: repo.dir });
    expect(verified.stdout).toMatch(/^PASS /);
  }, 120_000);
});
