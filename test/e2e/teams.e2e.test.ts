import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { type CliResult, type Cluster, REPO_ROOT, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Three people with their own tokens (admin, member of payments, viewer of web, member of web) through the real CLI
// and coordinator on Postgres. The cluster's ceiling of $1.00 at $0.07 a run admits 14 runs; team payments' $0.50
// admits 7. Runs sleep, so their reservations stay held for the whole file.

let cluster: Cluster;
let repo: FixtureRepo;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  cluster = await startCluster({
    workers: 1,
    coordinatorEnv: {
      PANCODE_BUDGET_CEILING: "1.00",
      PANCODE_PER_RUN_BUDGET: "0.07",
      PANCODE_DEFAULT_AGENT: "shell",
      // 50 CLIs at once starve a 2-core machine: a slower heartbeat keeps the worker live through it.
      PANCODE_HEARTBEAT_MS: "5000",
      PANCODE_LEASE_MS: "30000",
      PANCODE_METRICS_LISTEN: "127.0.0.1:0",
    },
  });
  repo = await createRepo({ files: { "a.txt": "foo\n" } });
});

afterAll(async () => {
  await repo?.cleanup();
  await cluster?.stop();
});

/** Runs the CLI as `who` ("admin" = the bootstrap token of the cluster). */
function as(who: string, args: string[]): Promise<CliResult> {
  const env: Record<string, string> = who === "admin" ? {} : { PANCODE_TOKEN: tokens[who] ?? "" };
  return cluster.cli(args, { cwd: repo.dir, env, timeoutMs: 120_000 });
}

async function json<T>(who: string, args: string[]): Promise<T> {
  const result = await as(who, [...args, "--json"]);
  expect(result.code, `${who}: pancode ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** `pancode mcp` as `who`, driven by the official MCP client over stdio. */
async function mcpAs(who: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(REPO_ROOT, "apps/cli/bin/pancode.js"), "mcp"],
    cwd: repo.dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...cluster.clientEnv,
      PANCODE_TOKEN: tokens[who] ?? "",
    },
    stderr: "pipe",
  });
  const client = new Client({ name: "pancode-e2e", version: "0.0.0" });
  await client.connect(transport);
  return client;
}

const sleeper = (who: string) => as(who, ["dispatch", "sleep 600", "--agent", "shell", "--json"]);

describe("teams and tokens", () => {
  it("an admin creates a member and a viewer; each is who their token says", async () => {
    for (const [name, role, team] of [
      ["alice", "member", "payments"],
      ["vic", "viewer", "web"],
      ["walt", "member", "web"],
    ] as const) {
      const created = await json<{ name: string; role: string; team: string; token: string }>("admin", [
        "tokens",
        "create",
        name,
        "--role",
        role,
        "--team",
        team,
      ]);
      expect(created).toEqual({ name, role, team, token: expect.stringMatching(/^pct_/) });
      tokens[name] = created.token;
    }
    expect(await json("alice", ["whoami"])).toMatchObject({ name: "alice", role: "member", team: "payments" });
    expect(await json("admin", ["whoami"])).toMatchObject({ name: "admin", role: "admin", team: null });
    const listed = await as("admin", ["tokens", "list", "--json"]);
    expect(listed.stdout).not.toContain("pct_");
    expect(JSON.parse(listed.stdout).tokens.map((t: { name: string }) => t.name)).toEqual([
      "admin",
      "alice",
      "vic",
      "walt",
    ]);
  });

  it("refuses what a role may not do with exit 4 and one line naming the role", async () => {
    const viewerDispatch = await sleeper("vic");
    expect(viewerDispatch.code).toBe(4);
    expect(viewerDispatch.stderr).toContain("dispatch needs role member; you are vic (viewer)");
    expect(viewerDispatch.stderr).not.toMatch(/\n\s+at /);
    const memberBudget = await as("alice", ["budget", "set", "5"]);
    expect(memberBudget.code).toBe(4);
    expect(memberBudget.stderr).toContain("set budget needs role admin; you are alice (member)");
    const memberTokens = await as("alice", ["tokens", "create", "mallory", "--role", "admin"]);
    expect(memberTokens.code).toBe(4);
    expect((await as("vic", ["drain"])).code).toBe(4);
    // MCP tools follow the token's role: the server's one line comes back as a tool error.
    const mcp = await mcpAs("alice");
    try {
      const setBudget = (await mcp.callTool({ name: "set_budget", arguments: { ceiling_usd: 5 } })) as {
        isError?: boolean;
        content: { text: string }[];
      };
      expect(setBudget).toEqual({
        isError: true,
        content: [{ type: "text", text: "set budget needs role admin; you are alice (member)" }],
      });
      expect((await mcp.callTool({ name: "get_budget", arguments: {} })).isError).toBeFalsy();
    } finally {
      await mcp.close();
    }
    // Reads are a viewer's.
    expect((await as("vic", ["budget"])).code).toBe(0);
    expect((await as("vic", ["runs"])).code).toBe(0);
  });

  it("a team's ceiling refuses its 50 concurrent dispatches past it, and not the other team's", async () => {
    expect((await as("admin", ["budget", "set", "0.50", "--team", "payments"])).code).toBe(0);
    const payments = await Promise.all(Array.from({ length: 50 }, () => sleeper("alice")));
    const codes = (rs: CliResult[]) => rs.map((r) => (r.code === 0 ? "0" : `${r.code}: ${r.stderr.trim()}`));
    expect(
      payments.filter((r) => r.code === 0),
      codes(payments).join("\n"),
    ).toHaveLength(7);
    for (const r of payments.filter((r) => r.code !== 0)) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain("Dispatch blocked: Budget ceiling of team payments would be exceeded (");
    }
    const team = await json<{ ceilingUsd: number; spentUsd: number; reservedUsd: number }>("alice", [
      "budget",
      "--team",
      "payments",
    ]);
    expect(team).toMatchObject({ ceilingUsd: 0.5, reservedUsd: 0.49 });
    expect(team.spentUsd + team.reservedUsd).toBeLessThanOrEqual(team.ceilingUsd);

    const web = await Promise.all(Array.from({ length: 50 }, () => sleeper("walt")));
    expect(
      web.filter((r) => r.code === 0),
      codes(web).join("\n"),
    ).toHaveLength(7);
    // Payments' ceiling never refuses web; only the cluster's does.
    for (const r of web.filter((r) => r.code !== 0)) {
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain("Dispatch blocked: Budget ceiling would be exceeded (");
    }
    expect(
      web.filter((r) => r.stderr.includes("Dispatch blocked: Budget ceiling would be exceeded (")).length,
    ).toBeGreaterThan(0);
    const all = await json<{ ceilingUsd: number; spentUsd: number; reservedUsd: number }>("vic", ["budget"]);
    expect(all.spentUsd + all.reservedUsd).toBeLessThanOrEqual(all.ceilingUsd);
    expect(all.reservedUsd).toBe(0.98);
  });

  it("records the authenticated person and team on runs and in the audit trail", async () => {
    const mine = await json<{ runs: { runId: string; user: string; team: string }[] }>("alice", ["runs", "--mine"]);
    expect(mine.runs).toHaveLength(7);
    const shown = await json<{ user: string; team: string }>("vic", ["show", mine.runs[0]?.runId ?? ""]);
    expect(shown).toMatchObject({ user: "alice", team: "payments" });
    const webRuns = await json<{ runs: { user: string }[] }>("vic", ["runs", "--team", "web"]);
    expect(webRuns.runs.map((r) => r.user)).toEqual(Array(7).fill("walt"));
    const audit = await json<{ entries: { action: string; actor: string; runId: string }[] }>("vic", [
      "audit",
      "dispatch",
      "--limit",
      "1000",
    ]);
    const admitted = audit.entries.filter((e) => e.action === "admitted");
    expect(admitted.filter((e) => e.actor === "alice")).toHaveLength(7);
    expect(admitted.find((e) => e.runId === mine.runs[0]?.runId)?.actor).toBe("alice");
    const byTeam = await json<{ totals: { key: string; runs: number }[] }>("vic", ["cost", "--by", "team"]);
    expect(byTeam.totals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: "payments", runs: 7 }),
        expect.objectContaining({ key: "web", runs: 7 }),
      ]),
    );
  });

  it("a member stops its own runs but not another team's; an admin stops anyone's", async () => {
    const [alices] = (await json<{ runs: { runId: string }[] }>("vic", ["runs", "--user", "alice"])).runs;
    const [walts] = (await json<{ runs: { runId: string }[] }>("vic", ["runs", "--user", "walt"])).runs;
    const refused = await as("alice", ["stoprun", walts?.runId ?? ""]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("needs role admin");
    expect((await as("alice", ["stoprun", alices?.runId ?? ""])).code).toBe(0);
    expect((await as("admin", ["stoprun", walts?.runId ?? ""])).code).toBe(0);
    expect(await json("vic", ["show", walts?.runId ?? ""])).toMatchObject({ status: "interrupted" });
    // Run series carry the team (the endpoint is the coordinator's, on loopback).
    const url = cluster.coordinatorLogs().match(/"metrics":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"/)?.[1] ?? "";
    const metrics = await (await fetch(url)).text();
    expect(metrics).toMatch(/pancode_runs_total\{[^}]*team="payments"[^}]*\} 1/);
    expect(metrics).toMatch(/pancode_runs_total\{[^}]*team="web"[^}]*\} 1/);
  });

  it("a revoked token is refused on its next call; an expired one says when it expired", async () => {
    expect((await as("walt", ["whoami"])).code).toBe(0);
    expect((await as("admin", ["tokens", "revoke", "walt"])).code).toBe(0);
    const revoked = await as("walt", ["whoami"]);
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toContain('token "walt" was revoked on');

    const carol = await json<{ token: string }>("admin", [
      "tokens",
      "create",
      "carol",
      "--role",
      "viewer",
      "--expires",
      "1s",
    ]);
    tokens.carol = carol.token;
    let expired: CliResult | undefined;
    // Bounded wait for the second to pass; what is asserted is the refusal, not its timing.
    for (let i = 0; i < 20 && !expired; i++) {
      const r = await as("carol", ["whoami"]);
      if (r.code !== 0) expired = r;
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(expired?.code).toBe(4);
    expect(expired?.stderr).toMatch(
      /token "carol" expired on \d{4}-\d\d-\d\dT[\d:.]+Z; ask an admin for a new one \(pancode tokens create\)/,
    );
  });
});
