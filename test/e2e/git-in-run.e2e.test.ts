import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Cluster, startCluster } from "@pancode/testing/cluster";
import { createRepo, type FixtureRepo, writeFiles } from "@pancode/testing/git";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// git inside a run's container, as a user gets it through `pancode dispatch`: the run's /workspace is a repository
// at the developer's HEAD with the submitted changes uncommitted; what the agent commits comes back as working-tree
// changes, and the developer's HEAD and staging area stay exactly as they were.

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 1 });
});

afterAll(async () => {
  await cluster?.stop();
});

/** A checkout with two commits, a staged and an unstaged change, and a read-only command agent of its own. */
async function fixture(): Promise<FixtureRepo> {
  const repo = await createRepo({
    files: {
      "README.md": "fixture\n",
      "app.txt": "v1\n",
      ".pancode/agents/git-reader.md": "---\nruntime: command\nreadonly: true\n---\n",
    },
  });
  await writeFiles(repo.dir, { "app.txt": "v2\n" });
  await repo.git("commit", "--quiet", "-am", "second commit");
  await writeFiles(repo.dir, { "README.md": "fixture\nstaged line\n" });
  await repo.git("add", "README.md");
  await writeFiles(repo.dir, { "app.txt": "v2\nsubmitted unstaged line\n" });
  return repo;
}

async function dispatch(repo: FixtureRepo, task: string, agent: string) {
  const result = await cluster.cli(["dispatch", task, "--agent", agent, "--wait", "--json"], { cwd: repo.dir });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    status: string;
    outputTail: string;
    merge?: { outcome: string };
    patch?: { files: { path: string }[] };
  };
}

describe("git in the run's container", () => {
  it("shows the developer's HEAD and uncommitted changes; the agent's commit comes back, HEAD and index untouched", async () => {
    const repo = await fixture();
    const head = await repo.git("rev-parse", "HEAD");
    const staged = await repo.git("diff", "--cached");
    const task = [
      "set -e",
      "git status",
      "echo head=$(git log -1 --format=%H)",
      "git log --format=%s",
      "git diff",
      "echo x > new.txt && git add new.txt && git commit -q -m msg",
      "git stash list",
      "git branch",
    ].join("; ");
    const run = await dispatch(repo, task, "shell");
    expect(run).toMatchObject({ status: "done", merge: { outcome: "clean" } });
    const out = run.outputTail;
    expect(out).toContain(`head=${head}`);
    expect(out).toContain("second commit\ninitial");
    // The snapshot keeps no staging area: staged and unstaged changes alike are unstaged in the run.
    expect(out).toContain("Changes not staged for commit");
    expect(out).toMatch(/modified:\s+README\.md/);
    expect(out).toContain("+submitted unstaged line");
    expect(out).toContain("* pancode");
    expect(run.patch?.files.map((file) => file.path)).toEqual(["new.txt"]);

    expect(await readFile(join(repo.dir, "new.txt"), "utf8")).toBe("x\n");
    expect(await repo.git("rev-parse", "HEAD")).toBe(head);
    expect(await repo.git("diff", "--cached")).toBe(staged);
    expect(await repo.git("log", "--format=%s")).toBe("second commit\ninitial");
    // new.txt arrived as an untracked file of the working tree, not as a commit or a staged file.
    expect(await repo.git("status", "--porcelain", "new.txt")).toBe("?? new.txt");
    await repo.cleanup();
  });

  it("gives a read-only agent git status, log and diff on a read-only repository", async () => {
    const repo = await fixture();
    const head = await repo.git("rev-parse", "HEAD");
    const task = [
      "git status --porcelain",
      "echo head=$(git rev-parse HEAD)",
      "git diff --stat | tail -1",
      "if git commit -q --allow-empty -m nope 2>/dev/null; then echo COMMITTED; else echo no-commit; fi",
    ].join("; ");
    const run = await dispatch(repo, task, "git-reader");
    expect(run.status).toBe("done");
    expect(run.outputTail).toContain(" M README.md\n M app.txt\n");
    expect(run.outputTail).toContain(`head=${head}`);
    expect(run.outputTail).toContain("2 files changed, 2 insertions(+)");
    expect(run.outputTail).toContain("no-commit");
    await repo.cleanup();
  });
});
