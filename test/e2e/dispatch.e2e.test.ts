import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Digest } from "@pancode/core";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo, readModes, readTree, writeFiles } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole path, as a user runs it: the real CLI -> coordinator (Postgres) -> NATS JetStream -> two separate worker
// processes -> one Docker container per run on a worktree -> patch back -> 3-way merge into the working tree.

const BINARY = Buffer.from([0, 1, 2, 3, 255, 254, 0, 10, 13, 0, 128]);

let cluster: Cluster;

const sha = (content: string | Buffer) => sha256Digest(content);

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, workerEnv: { PANCODE_WORKER_CONCURRENCY: "1" } });
});

afterAll(async () => {
  await cluster?.stop();
});

async function fixture(): Promise<FixtureRepo> {
  const repo = await createRepo({
    files: {
      "src/a.ts": "export const greeting = 'foo';\nexport const other = 'foo';\n",
      "old-name.txt": "I will be renamed\nwith several lines\nof content\n",
      "delete-me.txt": "bye\n",
      "script.sh": "#!/bin/sh\necho hi\n",
      "keep.txt": "unchanged\n",
    },
  });
  // Uncommitted state of every kind: staged, unstaged, untracked.
  await writeFiles(repo.dir, {
    "src/a.ts": "export const greeting = 'foo';\nexport const other = 'foo';\nexport const staged = 1;\n",
  });
  await repo.git("add", "src/a.ts");
  await writeFiles(repo.dir, { "keep.txt": "unchanged\nplus an unstaged line\n", "notes.txt": "untracked input\n" });
  return repo;
}

// A task that edits text, writes a binary file, deletes, renames, chmods, and reads uncommitted input.
const TASK = [
  "sed -i s/foo/bar/g src/a.ts",
  `node -e "require('fs').mkdirSync('assets',{recursive:true});require('fs').writeFileSync('assets/blob.bin',Buffer.from([${[...BINARY].join(",")}]))"`,
  "rm delete-me.txt",
  "mv old-name.txt new-name.txt",
  "chmod +x script.sh",
  "cat notes.txt keep.txt > seen.txt",
].join(" && ");

describe("dispatch --wait", () => {
  it("runs over the exact working state and merges every kind of change back byte for byte", async () => {
    const repo = await fixture();
    const stagedBefore = await repo.git("diff", "--cached", "--name-only");
    const result = await cluster.cli(["dispatch", TASK, "--agent", "shell", "--wait", "--json"], { cwd: repo.dir });
    // The only remarks: the files the task is about to create do not exist yet (gate 6 warns, never refuses).
    expect(result.stderr.split("\n").filter((line) => line && !line.startsWith("warning: path "))).toEqual([]);
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run).toMatchObject({ status: "done", exitCode: 0, agent: "shell", attempt: 1 });
    expect(run.workerId).toMatch(/^w[12]$/);
    expect(run.receiptId).not.toBe("");
    expect(run.merge.outcome).toBe("clean");

    const tree = await readTree(repo.dir);
    expect(tree.get("src/a.ts")).toBe(
      sha("export const greeting = 'bar';\nexport const other = 'bar';\nexport const staged = 1;\n"),
    );
    expect(tree.get("assets/blob.bin")).toBe(sha(BINARY));
    expect(tree.has("delete-me.txt")).toBe(false);
    expect(tree.has("old-name.txt")).toBe(false);
    expect(tree.get("new-name.txt")).toBe(sha("I will be renamed\nwith several lines\nof content\n"));
    expect(tree.get("seen.txt")).toBe(sha("untracked input\nunchanged\nplus an unstaged line\n"));
    expect(tree.get("notes.txt")).toBe(sha("untracked input\n"));
    expect((await readModes(repo.dir)).get("script.sh")).toBe("100755");
    // The user's staging area is theirs: merge-back never touches the index.
    expect(await repo.git("diff", "--cached", "--name-only")).toBe(stagedBefore);

    const files = Object.fromEntries(run.patch.files.map((f: { path: string; status: string }) => [f.path, f.status]));
    expect(files).toMatchObject({
      "src/a.ts": "modified",
      "assets/blob.bin": "added",
      "delete-me.txt": "deleted",
      "new-name.txt": "renamed",
    });
    expect(run.patch.files.find((f: { path: string }) => f.path === "assets/blob.bin").binary).toBe(true);
    await repo.cleanup();
  });

  it("records the run: listed by runs, shown with its logs and receipt", async () => {
    const repo = await fixture();
    const dispatched = await cluster.cli(
      ["dispatch", "echo out-line; echo err-line >&2; exit 3", "--agent", "shell", "--wait", "--json"],
      {
        cwd: repo.dir,
      },
    );
    expect(dispatched.code).toBe(1);
    const run = JSON.parse(dispatched.stdout);
    expect(run).toMatchObject({ status: "error", exitCode: 3, error: "exit code 3" });
    expect(run.outputTail).toContain("out-line");

    const runs = await cluster.cli(["runs", "5", "--json"], { cwd: repo.dir });
    const listed = JSON.parse(runs.stdout).runs.find((r: { runId: string }) => r.runId === run.runId);
    expect(listed).toMatchObject({ status: "error", agent: "shell" });
    expect(typeof listed.durationMs).toBe("number");

    const table = await cluster.cli(["runs"], { cwd: repo.dir });
    expect(table.stdout).toMatch(/RUN\s+AGENT\s+STATUS\s+MODEL\s+DURATION\s+COST/);
    expect(table.stdout).toContain(run.runId.slice(0, 8));

    const logs = await cluster.cli(["logs", run.runId.slice(0, 8)], { cwd: repo.dir });
    expect(logs.stdout).toContain("out-line");
    expect(logs.stderr).toContain("err-line");
    expect(logs.stderr).toContain("[status] error");
    await repo.cleanup();
  });
});

describe("--isolate, diff and apply", () => {
  it("leaves the working tree alone until apply, then merges", async () => {
    const repo = await fixture();
    const before = await readTree(repo.dir);
    const result = await cluster.cli(
      ["dispatch", "echo isolated > iso.txt", "--agent", "shell", "--isolate", "--wait", "--json"],
      {
        cwd: repo.dir,
      },
    );
    expect(result.code).toBe(0);
    const run = JSON.parse(result.stdout);
    expect(run.merge).toBeNull();
    expect(await readTree(repo.dir)).toEqual(before);

    const diff = await cluster.cli(["diff", run.runId], { cwd: repo.dir });
    expect(diff.stdout).toContain("+++ b/iso.txt");
    expect(diff.stdout).toContain("+isolated");

    const applied = await cluster.cli(["apply", run.runId, "--json"], { cwd: repo.dir });
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({
      outcome: "clean",
      files: [{ path: "iso.txt", status: "added" }],
    });
    expect(await readFile(join(repo.dir, "iso.txt"), "utf8")).toBe("isolated\n");
    await repo.cleanup();
  });

  it("on a conflict changes nothing, saves the patch and exits 3", async () => {
    const repo = await fixture();
    const result = await cluster.cli(
      ["dispatch", "sed -i s/greeting/salutation/ src/a.ts", "--agent", "shell", "--isolate", "--wait", "--json"],
      {
        cwd: repo.dir,
      },
    );
    const run = JSON.parse(result.stdout);
    // Meanwhile the user rewrote the same line.
    await writeFiles(repo.dir, {
      "src/a.ts": "export const welcome = 'mine';\nexport const other = 'foo';\nexport const staged = 1;\n",
    });
    const before = await readTree(repo.dir);
    const applied = await cluster.cli(["apply", run.runId], { cwd: repo.dir });
    expect(applied.code).toBe(3);
    expect(applied.stdout).toMatch(/conflict\s+src\/a\.ts/);
    const after = await readTree(repo.dir);
    for (const [path, digest] of before) expect(after.get(path), path).toBe(digest);
    // Saved under the git dir, where no patch can plant a symlink (see red-team-merge.e2e.test.ts).
    const saved = await readFile(join(repo.dir, ".git", "pancode", "patches", `${run.runId}.patch`), "utf8");
    expect(saved).toContain("salutation");
    await repo.cleanup();
  });
});

describe("work is shared", () => {
  it("runs on both worker processes", async () => {
    const repo = await fixture();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await cluster.cli(["dispatch", "sleep 1", "--agent", "shell", "--json"], { cwd: repo.dir });
      expect(r.code).toBe(0);
      ids.push(JSON.parse(r.stdout).runId);
    }
    const workers = new Set<string>();
    for (const id of ids) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const shown = JSON.parse((await cluster.cli(["show", id, "--json"], { cwd: repo.dir })).stdout);
        if (shown.status === "done") {
          workers.add(shown.workerId);
          break;
        }
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    expect([...workers].sort()).toEqual(["w1", "w2"]);
    await repo.cleanup();
  });
});
