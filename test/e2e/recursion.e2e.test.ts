import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Nested dispatch for real: a run's container gets its run token, the coordinator's address (its own loopback,
// relayed through the run's socket: the container has network none) and the bundled pancode client (read-only at
// /opt/pancode), and dispatches sub-runs from inside the container. Depth is derived by
// the coordinator from the parent run; the third level is refused.

let cluster: Cluster;
let repo: FixtureRepo;

/** What the sessions of these tests allow (nester itself needs no more than the default; `open` needs this). */
const FULL_AUTO = { PANCODE_SAFETY: "full-auto" };

interface RunJson {
  runId: string;
  status: string;
  depth: number;
  parentRunId: string | null;
  outputTail: string;
  task: string;
}

/** Each level prints where it is, then dispatches the same script one level deeper and waits for it. */
const NEST_SH = [
  "#!/bin/sh",
  'echo "level depth=$PANCODE_DISPATCH_DEPTH"',
  "pancode dispatch 'sh nest.sh' --agent nester --wait",
  "",
].join("\n");

beforeAll(async () => {
  // No host networking: containers reach the coordinator through their run's socket relay.
  cluster = await startCluster({ workers: 1 });
  repo = await createRepo({
    files: {
      // A command agent without network: it still dispatches, through its run's coordinator socket.
      ".pancode/agents/nester.md": "---\nruntime: command\nnetwork: none\ndescription: nests\n---\n",
      // A command agent with open egress, for the safety-level check.
      ".pancode/agents/open.md": "---\nruntime: command\nnetwork: bridge\ndescription: egress\n---\n",
      "nest.sh": NEST_SH,
      "marker.txt": "from the parent's workspace\n",
    },
  });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  await repo?.cleanup();
});

async function runs(): Promise<RunJson[]> {
  const listed = await cluster.cli(["runs", "50", "--json"], { cwd: repo.dir });
  return (JSON.parse(listed.stdout) as { runs: RunJson[] }).runs;
}

describe("nested dispatch from inside a container", () => {
  it("runs a sub-run at depth 1 on the parent's workspace, and its token dies with the run", async () => {
    const task = "pancode dispatch 'cat marker.txt' --agent nester --wait; echo $PANCODE_TOKEN > token.txt";
    const result = await cluster.cli(["dispatch", task, "--agent", "nester", "--wait", "--json"], {
      cwd: repo.dir,
      env: FULL_AUTO,
      timeoutMs: 180_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const parent = JSON.parse(result.stdout) as RunJson;
    expect(parent.outputTail).toContain("from the parent's workspace");
    const child = (await runs()).find((r) => r.parentRunId === parent.runId);
    expect(child).toMatchObject({ status: "done", depth: 1, task: "cat marker.txt" });
    expect(parent.depth).toBe(0);
    // The session's safety level is in the signed receipt.
    const exported = await cluster.cli(["receipt", "export", parent.runId], { cwd: repo.dir });
    const statement = JSON.parse(Buffer.from(JSON.parse(exported.stdout).payload, "base64").toString("utf8"));
    expect(statement.predicate.parameters.safetyLevel).toBe("full-auto");
    expect(statement.predicate.parameters).toMatchObject({ parentRunId: "", depth: 0, tools: [] });
    // The sub-run's receipt names its parent and depth, signed by the worker that ran it.
    const childReceipt = await cluster.cli(["receipt", "export", child?.runId ?? ""], { cwd: repo.dir });
    const childStatement = JSON.parse(Buffer.from(JSON.parse(childReceipt.stdout).payload, "base64").toString("utf8"));
    expect(childStatement.predicate).toMatchObject({
      issuer: "worker",
      parameters: { parentRunId: parent.runId, depth: 1 },
    });
    // The run's token came back in its patch; the run has ended, so the token no longer dispatches.
    const token = (await readFile(join(repo.dir, "token.txt"), "utf8")).trim();
    expect(token).toMatch(/^pcr1\./);
    const late = await cluster.cli(["dispatch", "true", "--agent", "nester"], {
      cwd: repo.dir,
      env: { ...FULL_AUTO, PANCODE_TOKEN: token },
    });
    expect(late.code).toBe(4);
    expect(late.stderr).toMatch(/no longer valid: the run ended/);
  }, 240_000);

  it("refuses the chain at depth 3 with the recursion message", async () => {
    const result = await cluster.cli(["dispatch", "sh nest.sh", "--agent", "nester", "--wait", "--json"], {
      cwd: repo.dir,
      env: FULL_AUTO,
      timeoutMs: 240_000,
    });
    const top = JSON.parse(result.stdout) as RunJson;
    expect(result.code).toBe(1);
    const all = await runs();
    const first = all.find((r) => r.parentRunId === top.runId);
    const second = all.find((r) => r.parentRunId === first?.runId);
    expect(first).toMatchObject({ depth: 1 });
    expect(second).toMatchObject({ depth: 2, status: "error" });
    expect(all.some((r) => r.parentRunId === second?.runId)).toBe(false);
    expect(second?.outputTail).toContain(
      "Dispatch blocked: recursion depth 3 exceeds maximum 2. Complete the current task directly.",
    );
  }, 300_000);

  it("needs full-auto for an agent with open egress; the default level refuses it and says why", async () => {
    const result = await cluster.cli(["dispatch", "true", "--agent", "open"], { cwd: repo.dir });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /Dispatch blocked: agent "open" needs safety level full-auto, but the session allows auto-edit \(its runtime "command" needs no model, so its bridge network is open egress\)/,
    );
  }, 60_000);

  it("ignores a forged parent or depth sent with a client token", async () => {
    const [someRun] = await runs();
    const result = await cluster.cli(["dispatch", "true", "--agent", "nester", "--json"], {
      cwd: repo.dir,
      env: { ...FULL_AUTO, PANCODE_PARENT_RUN: someRun?.runId ?? "x", PANCODE_DISPATCH_DEPTH: "2" },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ depth: 0, parentRunId: null });
  }, 60_000);
});
