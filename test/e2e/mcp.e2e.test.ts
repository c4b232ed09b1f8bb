import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type Cluster, REPO_ROOT, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `pancode mcp` driven by the official MCP client over stdio, the way Claude Code runs it: the built CLI spawned in
// a repository, against a real cluster (coordinator, NATS, a worker, Docker).

const CLI_BIN = join(REPO_ROOT, "apps/cli/bin/pancode.js");

let cluster: Cluster;
let repo: FixtureRepo;

type TextResult = { isError?: boolean; content: { type: string; text: string }[] };

async function connectClient(env: Record<string, string> = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_BIN, "mcp"],
    cwd: repo.dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...cluster.clientEnv, ...env },
    stderr: "pipe",
  });
  const client = new Client({ name: "pancode-e2e", version: "0.0.0" });
  await client.connect(transport);
  return client;
}

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  progress?: string[],
): Promise<TextResult> {
  const onprogress = progress ? (p: { message?: string }) => progress.push(p.message ?? "") : undefined;
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000, onprogress })) as TextResult;
}

beforeAll(async () => {
  cluster = await startCluster({ workers: 1, postgres: false });
  repo = await createRepo({ files: { "README.md": "# demo\n" } });
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
});

describe("pancode mcp", () => {
  it("lists its tools, dispatches a run that ends done and merges its change back", async () => {
    const client = await connectClient();
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([
        "dispatch_agent",
        "batch_dispatch",
        "dispatch_chain",
        "list_runs",
        "get_run",
        "stop_run",
        "get_budget",
        "set_budget",
        "list_agents",
        "get_receipt",
        "verify_receipt",
        "audit",
      ]);
      const progress: string[] = [];
      const result = await call(
        client,
        "dispatch_agent",
        { task: "sleep 1 && echo from-mcp > mcp.txt", agent: "shell" },
        progress,
      );
      expect(result.isError, result.content[0]?.text).toBeFalsy();
      const run = JSON.parse(result.content[0]?.text ?? "{}");
      expect(run.status).toBe("done");
      expect(run.merge.outcome).toBe("clean");
      expect(await readFile(join(repo.dir, "mcp.txt"), "utf8")).toBe("from-mcp\n");
      // The run's progress came as notifications, one line per change, ending with its final status.
      expect(progress.some((m) => /\brunning\b/.test(m))).toBe(true);
      expect(progress.at(-1)).toMatch(new RegExp(`^${run.runId.slice(0, 8)}\\s+shell\\s+done\\b`));

      const got = JSON.parse((await call(client, "get_run", { run_id: run.runId.slice(0, 8) })).content[0]?.text ?? "");
      expect(got).toMatchObject({ runId: run.runId, status: "done", agent: "shell" });
      const verified = JSON.parse((await call(client, "verify_receipt", { id: run.runId })).content[0]?.text ?? "");
      expect(verified.verdict).toBe("PASS");
      const agents = JSON.parse((await call(client, "list_agents", {})).content[0]?.text ?? "");
      expect(agents.agents.map((a: { name: string }) => a.name)).toContain("dev");
      const budget = JSON.parse((await call(client, "get_budget", {})).content[0]?.text ?? "");
      expect(budget.ceilingUsd).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("runs a chain whose step 2 sees step 1's output and files, merges it, then stops and audits", async () => {
    const client = await connectClient();
    try {
      const progress: string[] = [];
      const result = await call(
        client,
        "dispatch_chain",
        {
          steps: [
            { agent: "shell", task: "echo plan-alpha; echo one > c1.txt" },
            { agent: "shell", task: 'test -f c1.txt && echo "two saw $INPUT" > c2.txt && echo built' },
          ],
        },
        progress,
      );
      expect(result.isError, result.content[0]?.text).toBeFalsy();
      const chain = JSON.parse(result.content[0]?.text ?? "{}");
      expect(chain).toMatchObject({ kind: "chain", status: "done", failedStep: null, counts: { done: 2 } });
      expect(chain.runs[1].task).toBe('test -f c1.txt && echo "two saw plan-alpha" > c2.txt && echo built');
      expect(chain.merge.outcome).toBe("clean");
      expect(await readFile(join(repo.dir, "c1.txt"), "utf8")).toBe("one\n");
      expect(await readFile(join(repo.dir, "c2.txt"), "utf8")).toBe("two saw plan-alpha\n");
      // The steps' progress came as notifications: the lines of `pancode watch --chain`.
      expect(progress.some((m) => m.startsWith(chain.runs[1].runId.slice(0, 8)) && /\bdone\b/.test(m))).toBe(true);

      const stopped = await call(client, "stop_run", { run_id: chain.runs[0].runId });
      expect(stopped.isError, stopped.content[0]?.text).toBeFalsy();
      expect(JSON.parse(stopped.content[0]?.text ?? "{}")).toMatchObject({
        alreadyFinished: true,
        status: "done",
        message: `run ${chain.runs[0].runId} already finished (done)`,
      });

      const batch = JSON.parse(
        (
          await call(client, "batch_dispatch", {
            tasks: [{ task: "echo b1 > b1.txt" }, { task: "echo b2 > b2.txt" }],
            agent: "shell",
          })
        ).content[0]?.text ?? "{}",
      );
      expect(batch).toMatchObject({ status: "done", tasks: 2, counts: { done: 2 } });
      expect(batch.merges.map((m: { outcome: string }) => m.outcome)).toEqual(["clean", "clean"]);
      expect(await readFile(join(repo.dir, "b2.txt"), "utf8")).toBe("b2\n");

      const audit = JSON.parse(
        (await call(client, "audit", { filter: `run:${chain.runs[0].runId}` })).content[0]?.text ?? "",
      );
      expect(audit.entries.length).toBeGreaterThan(0);
      expect(audit.entries.every((e: { runId: string }) => e.runId === chain.runs[0].runId)).toBe(true);
      const verified = JSON.parse((await call(client, "audit", { verify: true })).content[0]?.text ?? "");
      expect(verified).toMatchObject({ ok: true, brokenSeq: null });
      expect(verified.entries).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("returns a refused dispatch or chain as a tool error with the one-line message (mode from PANCODE_MODE)", async () => {
    const client = await connectClient({ PANCODE_MODE: "plan" });
    try {
      const result = await call(client, "dispatch_agent", { task: "echo no > no.txt", agent: "shell" });
      expect(result.isError).toBe(true);
      expect(result.content[0]?.text).toBe("Dispatch blocked: dispatch is disabled in Plan mode (use --mode build)");
      const chain = await call(client, "dispatch_chain", { steps: [{ agent: "shell", task: "echo no > no.txt" }] });
      expect(chain.isError).toBe(true);
      expect(chain.content[0]?.text).toMatch(/^Dispatch blocked: .*Plan mode/);
      const unknown = await call(client, "get_run", { run_id: "ffffffff" });
      expect(unknown.isError).toBe(true);
      expect(unknown.content[0]?.text).toMatch(/^no run with id or prefix "ffffffff"/);
      expect(unknown.content[0]?.text).not.toContain("\n");
    } finally {
      await client.close();
    }
  });
});
