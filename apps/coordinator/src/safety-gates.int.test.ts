import { randomUUID } from "node:crypto";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMPTY_DIGEST, sha256Digest } from "@pancode/core";
import { type Database, openDatabase } from "@pancode/db";
import { createBundle, snapshotWorkspace } from "@pancode/git";
import { type ClientApi, createClientApi, type WorkerApi } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Coordinator } from "./coordinator.js";
import {
  type CoordinatorNode,
  INSECURE,
  registerTestWorker,
  startCoordinatorNode,
} from "./fixtures/coordinator-node.js";

// Workers register with their Ed25519 key (a signed challenge).
const workerKey = generateSigningKey();

// Gates 4 (recursion), 6 (paths) and 7 (safety scope and loops) of the admission pipeline, against real Postgres,
// real git workspaces and the real gRPC API; run tokens come from real ClaimRun answers.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let coordinator: Coordinator;
let client: ClientApi;
let worker: WorkerApi;
let db: Database;
let repo: FixtureRepo;
type Workspace = { repoId: string; baseCommit: string; bundleDigest: string; stateDigest: string; stateTree: string };
let ws: Workspace;

const insecure = INSECURE;

/**
 * Agents of the test repository: a command agent that may reach the network (full-auto: open egress), a read-only
 * one without network (suggest), and a read-only one with open egress (full-auto all the same).
 */
const AGENT_FILES = [
  { path: ".pancode/agents/nester.md", content: "---\nruntime: command\nnetwork: bridge\n---\n" },
  { path: ".pancode/agents/peek.md", content: "---\nruntime: command\nreadonly: true\nnetwork: none\n---\n" },
  { path: ".pancode/agents/leak.md", content: "---\nruntime: command\nreadonly: true\nnetwork: bridge\n---\n" },
  // A read-only model agent: no network (its model is behind the proxy), so suggest; it gets a run token like any run.
  { path: ".pancode/agents/scan.md", content: "---\nruntime: pi\nreadonly: true\n---\n" },
];

/** One keyless local provider, so model agents (dev, scan) pass admission; the test worker claims to serve it. */
const CLUSTER_YAML = [
  "providers:",
  "  - name: local",
  "    api: openai-completions",
  "    baseUrl: http://127.0.0.1:1/v1",
  "    models:",
  "      - id: qwen-coder",
  "defaultModel: local/qwen-coder",
  "",
].join("\n");

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-safety-"));
  const databaseUrl = await freshDatabaseUrl(pg.url);
  await writeFile(join(dataDir, "cluster.yaml"), CLUSTER_YAML);
  node = await startCoordinatorNode({
    PANCODE_CONFIG: join(dataDir, "cluster.yaml"),
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PANCODE_BUDGET_CEILING: "1000",
    PANCODE_PER_RUN_BUDGET: "1",
    PANCODE_LOOP_WINDOW_MS: "60000",
  });
  ({ coordinator, client, worker } = node);
  db = await openDatabase({ url: databaseUrl });
  await registerTestWorker(
    worker,
    { workerId: "ws", capacity: 8, runtimes: ["command", "pi"], providers: ["local"] },
    workerKey,
  );
  // A real workspace: a committed symlink out of the repository, one inside it, and an uncommitted one out.
  repo = await createRepo({ files: { "src/a.ts": "export const a = 1;\n", "README.md": "# r\n" } });
  await symlink("/etc", join(repo.dir, "etc-link"));
  await symlink("src", join(repo.dir, "docs"));
  await repo.git("add", "-A");
  await repo.git("commit", "-qm", "links");
  await symlink("../..", join(repo.dir, "src", "up"));
  const snap = await snapshotWorkspace(repo.dir);
  ws = {
    repoId: snap.repoId,
    baseCommit: snap.baseCommit,
    bundleDigest: (await client.uploadBlob("bundle", await createBundle(snap.repoRoot, snap.baseCommit))).digest,
    stateDigest: (await client.uploadBlob("state", snap.statePatch)).digest,
    stateTree: snap.stateTree,
  };
});

afterAll(async () => {
  await db?.close();
  await node?.close();
  await pg?.stop();
  await repo?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** A dispatch request; `safety` '' is the session default (auto-edit), which admits the shell agent. */
function request(task: string, agent = "shell", safety = "") {
  return { task, agent, safety, isolate: false, mode: "build", model: "", submitter: "t", workspace: ws };
}

function withToken(token: string): ClientApi {
  return createClientApi({ address: coordinator.address, token, credentials: insecure });
}

const NO_WORKSPACE = { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" };

describe("gate 6: paths named in the task", () => {
  it.each([
    ["cat ../x", /path "\.\.\/x" resolves outside the workspace/],
    ["cat /etc/passwd", /path "\/etc\/passwd" resolves outside the workspace/],
    ["ls /workspace-evil/a.ts", /path "\/workspace-evil\/a.ts"/],
    ["cat etc-link/passwd", /through etc-link -> \/etc/],
    ["cat src/up/secret.txt", /through src\/up -> \.\.\/\.\./],
  ])("refuses %s", async (task, message) => {
    const err = await client.dispatch(request(task)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "PATH_OUTSIDE_WORKSPACE" });
    expect((err as Error).message).toMatch(/^Dispatch blocked: /);
    expect((err as Error).message).toMatch(message);
  });

  it("admits existing paths (also through a symlink inside) without warnings", async () => {
    const answer = await client.dispatch(request("wc -l src/a.ts docs/a.ts /workspace/README.md 2>/dev/null"));
    expect(answer.warnings).toEqual([]);
    expect(answer.run?.status).toBe("pending");
  });

  it("admits a missing path with a warning on the run", async () => {
    const answer = await client.dispatch(request("touch src/new-file.ts"));
    expect(answer.run?.status).toBe("pending");
    expect(answer.warnings).toEqual(['path "src/new-file.ts" named in the task does not exist in the workspace']);
    // A safety decision: on record next to the admission.
    const entries = await client.listAudit({ runId: answer.run?.id ?? "" });
    expect(entries.map((e) => [e.category, e.action])).toEqual([
      ["safety", "path_warning"],
      ["dispatch", "admitted"],
    ]);
  });
});

describe("gate 7: safety scope", () => {
  it("admits the shell and dev agents at the default level, with no level stated", async () => {
    const shell = await client.dispatch(request("true", "shell", ""));
    expect(shell.run?.agent).toBe("shell");
    // The seed's first example: the default agent, a model agent with bash and egress to its model.
    const dev = await client.dispatch(
      request("Review the authentication module in src/auth/ for security issues", "dev", ""),
    );
    expect(dev.run?.agent).toBe("dev");
  });

  it("refuses an agent that reaches beyond its sandbox at the default level, naming both levels and why", async () => {
    const err = await client
      .dispatch({ ...request("true", "nester", ""), agentFiles: AGENT_FILES })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SAFETY_BLOCKED" });
    expect((err as Error).message).toMatch(
      /^Dispatch blocked: agent "nester" needs safety level full-auto, but the session allows auto-edit \(its runtime "command" needs no model, so its bridge network is open egress\)/,
    );
    const ok = await client.dispatch({ ...request("true", "nester", "full-auto"), agentFiles: AGENT_FILES });
    expect(ok.run?.agent).toBe("nester");
  });

  it("admits a read-only agent at suggest, but not one with open egress, and refuses an unknown level", async () => {
    const ok = await client.dispatch({ ...request("true", "peek", "suggest"), agentFiles: AGENT_FILES });
    expect(ok.run?.agent).toBe("peek");
    await expect(
      client.dispatch({ ...request("true", "leak", "suggest"), agentFiles: AGENT_FILES }),
    ).rejects.toMatchObject({ code: "SAFETY_BLOCKED", message: expect.stringMatching(/needs safety level full-auto/) });
    await expect(client.dispatch(request("true", "shell", "suggest"))).rejects.toMatchObject({
      code: "SAFETY_BLOCKED",
      message: expect.stringMatching(/needs safety level auto-edit, but the session allows suggest/),
    });
    await expect(client.dispatch(request("true", "shell", "yolo"))).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("records the session's level in the run spec", async () => {
    const { run } = await client.dispatch(request("true"));
    expect((await db.getRun(run?.id ?? ""))?.spec.safety).toBe("auto-edit");
    const { run: full } = await client.dispatch(request("true", "shell", "full-auto"));
    expect((await db.getRun(full?.id ?? ""))?.spec.safety).toBe("full-auto");
  });
});

describe("gate 7: loop detection", () => {
  async function ended(agent: string, task: string, status: "error" | "timeout" | "done", at = new Date()) {
    const id = randomUUID();
    await db.insertRun({
      id,
      agent,
      model: "",
      task,
      isolate: false,
      pool: "default",
      repoId: ws.repoId,
      baseCommit: ws.baseCommit,
      bundleDigest: ws.bundleDigest,
      stateDigest: EMPTY_DIGEST,
      stateTree: ws.stateTree,
      submitter: "t",
      spec: { agent: { name: agent } as never },
      traceparent: "",
      taskHash: sha256Digest(task),
    });
    await db.finishRun({ runId: id, status, error: status, onlyIf: ["pending"], finishedAt: at });
  }

  it("warns at 3 failures, refuses at 5, forgets old ones and resets after a success", async () => {
    const task = `flaky ${randomUUID()}`;
    await ended("shell", task, "error", new Date(Date.now() - 120_000)); // outside the 60 s window
    await ended("shell", task, "error");
    await ended("shell", task, "timeout");
    expect((await client.dispatch(request(task))).warnings).toEqual([]);
    await ended("shell", task, "error");
    const warned = await client.dispatch(request(task));
    expect(warned.warnings.join("\n")).toMatch(/agent "shell" failed 3 times in a row on this task/);
    const audited = await client.listAudit({ category: "safety", runId: warned.run?.id ?? "" });
    expect(audited.map((e) => e.action)).toEqual(["loop_warning"]);
    // Another agent and another task are counted apart.
    expect((await client.dispatch(request(`${task} again`))).warnings).toEqual([]);
    await ended("shell", task, "error");
    await ended("shell", task, "timeout");
    const err = await client.dispatch(request(task)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LOOP_DETECTED" });
    expect((err as Error).message).toMatch(/^Dispatch blocked: agent "shell" failed 5 times in a row/);
    await ended("shell", task, "done");
    expect((await client.dispatch(request(task))).warnings).toEqual([]);
  });

  it("decides each of a burst of dispatches from its own task's history when their reads go out together", async () => {
    // Concurrent dispatches have their loop history read in one statement (recentOutcomesMany): the looping task's
    // repeats are all refused, the warned task's all warned, and the clean task in the same burst admitted clean.
    const looping = `looping ${randomUUID()}`;
    const warned = `warned ${randomUUID()}`;
    const clean = `clean ${randomUUID()}`;
    for (let i = 0; i < 5; i++) await ended("shell", looping, i % 2 ? "timeout" : "error");
    for (let i = 0; i < 3; i++) await ended("shell", warned, "error");
    await ended("shell", clean, "done");
    const burst = [looping, warned, clean, looping, warned, clean, looping, warned, clean];
    const answers = await Promise.allSettled(burst.map((task) => client.dispatch(request(task))));
    const outcome = (a: (typeof answers)[number]) =>
      a.status === "rejected"
        ? (a.reason as { code?: string }).code
        : a.value.warnings.some((w) => /failed 3 times in a row/.test(w))
          ? "warned"
          : a.value.warnings.length === 0
            ? "admitted"
            : a.value.warnings.join("; ");
    expect(answers.map(outcome)).toEqual(
      burst.map((task) => (task === looping ? "LOOP_DETECTED" : task === warned ? "warned" : "admitted")),
    );
  });
});

describe("gate order", () => {
  it("reports path before safety before budget, and recursion before the task", async () => {
    await client.setBudget(0.5); // below the per-run estimate of 1 USD
    try {
      await expect(client.dispatch(request("cat ../x", "shell", "suggest"))).rejects.toMatchObject({
        code: "PATH_OUTSIDE_WORKSPACE",
      });
      await expect(client.dispatch(request("true", "shell", "suggest"))).rejects.toMatchObject({
        code: "SAFETY_BLOCKED",
      });
      await expect(client.dispatch(request("true", "shell", "full-auto"))).rejects.toMatchObject({
        code: "BUDGET_EXCEEDED",
      });
    } finally {
      await client.setBudget(1000);
    }
  });
});

describe("sandbox caps", () => {
  const greedy = (limits: string) => [
    { path: ".pancode/agents/greedy.md", content: `---\nruntime: command\nlimits:\n${limits}\n---\n` },
  ];

  it.each([
    ["  memoryMb: 9437184", "asks limits.memoryMb 9t, over the cluster maximum 8g (raise PANCODE_MAX_MEMORY"],
    ["  pids: 100000", "asks limits.pids 100000, over the cluster maximum 4096 (raise PANCODE_MAX_PIDS"],
  ])("refuses a repository agent file asking %s, naming field, value, cap and variable", async (limits, message) => {
    const err = await client
      .dispatch({ ...request("true", "greedy"), agentFiles: greedy(limits) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect((err as Error).message).toBe(`Dispatch blocked: agent "greedy" ${message} to allow it)`);
    const audited = await client.listAudit({ category: "dispatch" });
    expect(audited.find((e) => e.message === (err as Error).message)).toMatchObject({ action: "refused" });
  });

  it("refuses a --timeout over PANCODE_MAX_TIMEOUT (2h) and admits one under it", async () => {
    const err = await client.dispatch({ ...request("true"), timeoutMs: 3 * 3_600_000 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'Dispatch blocked: agent "shell" asks timeout 3h, over the cluster maximum 2h (raise PANCODE_MAX_TIMEOUT to allow it)',
    );
    await expect(client.dispatch({ ...request("true"), timeoutMs: 3_600_000 })).resolves.toHaveProperty("run");
  });
});

describe("gate 4: recursion through run tokens", () => {
  /** Dispatches with `api`, then claims the run as the worker would, returning the run and its run token. */
  async function dispatchAndClaim(api: ClientApi, task: string, workspace: Workspace = NO_WORKSPACE) {
    const { run } = await api.dispatch({
      ...request(task, "nester", "full-auto"),
      workspace,
      agentFiles: AGENT_FILES,
    });
    if (!run) throw new Error("no run");
    const claim = await worker.claimRun({ runId: run.id, workerId: "ws", deliveryCount: 1 });
    return { run, token: claim.spec?.runToken ?? "", depth: claim.spec?.depth };
  }

  it("derives depth from the parent, inherits its workspace, and refuses past the maximum", async () => {
    const top = await dispatchAndClaim(client, "echo top", ws);
    expect(top.run.depth).toBe(0);
    expect(top.token).toMatch(/^pcr1\./);
    expect(top.token).not.toBe(coordinator.clientToken);
    const first = await dispatchAndClaim(withToken(top.token), "echo one");
    expect(first.run).toMatchObject({ depth: 1, parentRunId: top.run.id });
    expect(first.run.workspace).toEqual(top.run.workspace);
    const second = await dispatchAndClaim(withToken(first.token), "echo two");
    expect(second.run).toMatchObject({ depth: 2, parentRunId: first.run.id });
    const third = withToken(second.token);
    // Gate 4 comes before gate 5: an empty task at depth 3 is a depth refusal.
    for (const task of ["echo three", "  "]) {
      const err = await third
        .dispatch({ ...request(task, "nester", "full-auto"), workspace: NO_WORKSPACE, agentFiles: AGENT_FILES })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "DEPTH_EXCEEDED" });
      expect((err as Error).message).toBe(
        "Dispatch blocked: recursion depth 3 exceeds maximum 2. Complete the current task directly.",
      );
    }
    third.close();
  });

  it("lets a run token read only its own sub-runs and call nothing else", async () => {
    const top = await dispatchAndClaim(client, "echo reader", ws);
    const api = withToken(top.token);
    const { run: child } = await api.dispatch({
      ...request("echo child", "nester", "full-auto"),
      workspace: NO_WORKSPACE,
      agentFiles: AGENT_FILES,
    });
    expect((await api.getRun(child?.id ?? "")).id).toBe(child?.id);
    await expect(api.getRun(top.run.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    // A sub-run may name its parent's workspace, never another one.
    const same = await api.dispatch({ ...request("echo same", "nester", "full-auto"), agentFiles: AGENT_FILES });
    expect(same.run?.parentRunId).toBe(top.run.id);
    const other = { ...ws, stateTree: "c".repeat(40) };
    await expect(
      api.dispatch({ ...request("echo other", "nester", "full-auto"), workspace: other, agentFiles: AGENT_FILES }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(api.listRuns(5)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(api.getBudget()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    api.close();
  });

  it("ignores a forged parent or depth: a client token is depth 0, a forged run token is refused", async () => {
    const top = await dispatchAndClaim(client, "echo forged", ws);
    const forged = withToken(`pcr1.${top.run.id}.${"A".repeat(43)}`);
    await expect(forged.dispatch({ ...request("true"), workspace: NO_WORKSPACE })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
    forged.close();
    const plain = await client.dispatch({ ...request("true"), workspace: ws });
    expect(plain.run).toMatchObject({ depth: 0, parentRunId: "" });
  });

  it("lets one tree of runs start at most PANCODE_MAX_SUBRUNS (8) sub-runs in total, even in a burst", async () => {
    const top = await dispatchAndClaim(client, "echo fan out", ws);
    const api = withToken(top.token);
    const sub = (task: string, via = api) =>
      via.dispatch({ ...request(task, "nester", "full-auto"), workspace: NO_WORKSPACE, agentFiles: AGENT_FILES });
    // One child that will dispatch a grandchild: sub-runs at every depth count against the same tree.
    const child = await dispatchAndClaim(api, "echo child");
    const childApi = withToken(child.token);
    await sub("echo grandchild", childApi);
    // Twelve at once from the root: exactly six more fit (8 - 2), the lock on the root admits them one by one.
    const burst = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => sub(`echo burst ${i}`)));
    expect(burst.filter((r) => r.status === "fulfilled")).toHaveLength(6);
    const refusals = burst.flatMap((r) => (r.status === "rejected" ? [r.reason as Error & { code: string }] : []));
    expect(refusals).toHaveLength(6);
    for (const err of refusals) {
      expect(err.code).toBe("DEPTH_EXCEEDED");
      expect(err.message).toBe(
        `Dispatch blocked: the runs under run ${top.run.id} already started 8 sub-runs, the maximum per run tree (PANCODE_MAX_SUBRUNS=8). Complete the current task directly.`,
      );
    }
    // A child's token is in the same tree: refused too.
    await expect(sub("echo one more", childApi)).rejects.toMatchObject({ code: "DEPTH_EXCEEDED" });
    const audited = await client.listAudit({ category: "safety" });
    expect(audited.filter((e) => e.action === "refused" && e.message.includes(top.run.id))).toHaveLength(7);
    // Another tree has its own quota.
    const other = await dispatchAndClaim(client, "echo other tree", ws);
    const otherApi = withToken(other.token);
    await expect(sub("echo fine", otherApi)).resolves.toMatchObject({ run: { parentRunId: other.run.id } });
    for (const a of [api, childApi, otherApi]) a.close();
  });

  it("caps a sub-run's safety at its parent's and stops the token once the run ended", async () => {
    const { run } = await client.dispatch({ ...request("look around", "scan", "suggest"), agentFiles: AGENT_FILES });
    const claim = await worker.claimRun({ runId: run?.id ?? "", workerId: "ws", deliveryCount: 1 });
    const api = withToken(claim.spec?.runToken ?? "");
    const err = await api
      .dispatch({ ...request("echo more", "nester", "full-auto"), workspace: NO_WORKSPACE, agentFiles: AGENT_FILES })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "SAFETY_BLOCKED" });
    expect((err as Error).message).toMatch(/the session allows suggest/);
    await db.finishRun({ runId: run?.id ?? "", status: "error", error: "ended", onlyIf: ["running", "pending"] });
    await expect(
      api.dispatch({ ...request("echo late", "scan", "suggest"), workspace: NO_WORKSPACE, agentFiles: AGENT_FILES }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    api.close();
  });
});
