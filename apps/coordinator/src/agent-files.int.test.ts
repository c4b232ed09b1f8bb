import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ClientApi, WorkerApi } from "@pancode/proto";
import { generateSigningKey } from "@pancode/receipts";
import { freshDatabaseUrl, type PostgresServer, startPostgres } from "@pancode/testing/postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CoordinatorNode,
  registerTestWorker,
  startCoordinatorNode,
  uploadedWorkspace,
} from "./fixtures/coordinator-node.js";

// Workers register with their Ed25519 key (a signed challenge).
const workerKey = generateSigningKey();

// Custom agents through the real gRPC API: cluster agents from PANCODE_AGENTS_DIR, repository agents carried by
// each dispatch, and broken files turned into warnings that name the file and the field.

let pg: PostgresServer;
let dataDir: string;
let node: CoordinatorNode;
let client: ClientApi;
let worker: WorkerApi;

const AUDITOR = {
  path: ".pancode/agents/security-auditor.md",
  content: [
    "---",
    "name: security-auditor",
    "description: Audits for OWASP issues",
    "runtime: pi",
    "model: local/qwen-coder",
    "readonly: true",
    "tools: [read, grep, find, ls]",
    "timeout: 10m",
    "---",
    "You are a security auditor. Report findings by severity.",
    "",
  ].join("\n"),
};
const BROKEN = { path: ".pancode/agents/sloppy.md", content: "---\nreadonly: yes\n---\nSloppy.\n" };

beforeAll(async () => {
  pg = await startPostgres();
  dataDir = await mkdtemp(join(tmpdir(), "pancode-agentfiles-"));
  const agentsDir = join(dataDir, "cluster-agents");
  await mkdir(agentsDir);
  await writeFile(join(agentsDir, "lint.md"), "---\nruntime: command\ndescription: Cluster lint\n---\n");
  await writeFile(join(agentsDir, "security-auditor.md"), "---\nreadonly: true\n---\nCluster auditor.\n");
  await writeFile(join(agentsDir, "bad.md"), "---\ntimeout: soon\n---\n");
  // Coding agents (runtime pi) need a model: one keyless local provider, served by the test worker below.
  await writeFile(
    join(dataDir, "cluster.yaml"),
    [
      "providers:",
      "  - name: local",
      "    api: openai-completions",
      "    baseUrl: http://127.0.0.1:1/v1",
      "    models:",
      "      - id: qwen-coder",
      "  - name: remote",
      "    api: anthropic-messages",
      "    apiKeyEnv: REMOTE_API_KEY",
      "    models:",
      "      - id: big",
      "defaultModel: local/qwen-coder",
      "",
    ].join("\n"),
  );
  node = await startCoordinatorNode({
    PANCODE_CONFIG: join(dataDir, "cluster.yaml"),
    PANCODE_DATA_DIR: dataDir,
    DATABASE_URL: await freshDatabaseUrl(pg.url),
    PANCODE_AGENTS_DIR: agentsDir,
  });
  ({ client, worker } = node);
  await registerTestWorker(
    worker,
    { workerId: "wp", capacity: 2, runtimes: ["command", "pi"], providers: ["local"] },
    workerKey,
  );
});

afterAll(async () => {
  await node?.close();
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function dispatchBase() {
  const workspace = await uploadedWorkspace(client);
  return {
    task: "audit the sources",
    isolate: false,
    mode: "build",
    model: "",
    submitter: "t",
    safety: "full-auto",
    workspace,
  };
}

describe("custom agents", () => {
  it("lists cluster agents from PANCODE_AGENTS_DIR, and a repository's on top with every field", async () => {
    const cluster = await client.listAgents();
    expect(cluster.warnings).toEqual([]);
    expect(cluster.agents.find((a) => a.name === "lint")).toMatchObject({ source: "cluster", runtime: "command" });
    expect(cluster.agents.find((a) => a.name === "security-auditor")?.prompt).toBe("Cluster auditor.");
    expect(cluster.agents.find((a) => a.name === "dev")).toMatchObject({ source: "builtin", network: "none" });

    const withRepo = await client.listAgents([AUDITOR, BROKEN]);
    expect(withRepo.agents.find((a) => a.name === "security-auditor")).toEqual({
      name: "security-auditor",
      description: "Audits for OWASP issues",
      runtime: "pi",
      model: "local/qwen-coder",
      readonly: true,
      source: "repo",
      tools: ["read", "grep", "find", "ls"],
      maxTurns: 20,
      timeoutMs: 600_000,
      network: "none",
      prompt: "You are a security auditor. Report findings by severity.",
    });
    expect(withRepo.warnings).toEqual([
      '.pancode/agents/sloppy.md: field "readonly": expected true or false, got "yes"',
    ]);
  });

  it("resolves a dispatch's repository agent, and warns about a broken file by file and field", async () => {
    const answer = await client.dispatch({
      ...(await dispatchBase()),
      agent: "security-auditor",
      agentFiles: [AUDITOR, BROKEN],
    });
    expect(answer.warnings).toEqual(['.pancode/agents/sloppy.md: field "readonly": expected true or false, got "yes"']);
    expect(answer.run).toMatchObject({ agent: "security-auditor", model: "local/qwen-coder" });
    const claim = await worker.claimRun({ runId: answer.run?.id ?? "", workerId: "wp", deliveryCount: 1 });
    expect(claim.spec?.agent).toMatchObject({
      name: "security-auditor",
      runtime: "pi",
      readonly: true,
      timeoutMs: 600_000,
      network: "none",
      model: "local/qwen-coder",
    });
  });

  it("applies repository agents to their own dispatch only", async () => {
    const answer = await client.dispatch({ ...(await dispatchBase()), agent: "security-auditor" });
    const claim = await worker.claimRun({ runId: answer.run?.id ?? "", workerId: "wp", deliveryCount: 1 });
    // The cluster's agent of that name again: no model of its own, default timeout.
    expect(claim.spec?.agent).toMatchObject({
      name: "security-auditor",
      readonly: true,
      timeoutMs: 300_000,
      model: "",
    });
  });

  it("still dispatches other agents when a file is broken, and names the broken file when its agent is asked for", async () => {
    const base = await dispatchBase();
    const ok = await client.dispatch({ ...base, task: "true", agent: "lint", agentFiles: [BROKEN] });
    expect(ok.run?.agent).toBe("lint");
    expect(ok.warnings).toHaveLength(1);
    await expect(client.dispatch({ ...base, agent: "sloppy", agentFiles: [BROKEN] })).rejects.toMatchObject({
      code: "UNKNOWN_AGENT",
      message: expect.stringMatching(
        /unknown agent "sloppy"; available agents: .*; agent files with errors: \.pancode\/agents\/sloppy\.md: field "readonly"/,
      ),
    });
  });
});

describe("models at admission", () => {
  it("refuses a model whose provider no live worker holds a key for, naming the provider and the variable", async () => {
    const base = await dispatchBase();
    await expect(
      client.dispatch({ ...base, task: "refactor", agent: "dev", model: "remote/big" }),
    ).rejects.toMatchObject({
      code: "NO_WORKER",
      message: expect.stringMatching(
        /no live worker holds an API key for provider "remote" \(set REMOTE_API_KEY on a worker\)/,
      ),
    });
  });

  it("refuses an unknown model, listing the known ones", async () => {
    const base = await dispatchBase();
    await expect(client.dispatch({ ...base, task: "refactor", agent: "dev", model: "local/nope" })).rejects.toThrow(
      /local\/qwen-coder/,
    );
  });

  it("refuses an agent whose runtime is unknown, naming the runtimes there are", async () => {
    const base = await dispatchBase();
    const agentFiles = [{ path: ".pancode/agents/warp.md", content: "---\nruntime: warp-drive\n---\nGo fast.\n" }];
    await expect(client.dispatch({ ...base, agent: "warp", agentFiles })).rejects.toThrow(
      /unknown runtime "warp-drive"; known runtimes: .*command.*pi/,
    );
  });

  it("records the resolved model on the run", async () => {
    const base = await dispatchBase();
    const { run } = await client.dispatch({ ...base, task: "refactor", agent: "dev" });
    expect(run?.model).toBe("local/qwen-coder");
  });
});
