import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createRepo, type FixtureRepo, readTree, writeFiles } from "@pancode/testing/git";
import { afterEach, describe, expect, it } from "vitest";
import { createTestWorker, dispatchTo } from "./fixtures/workspace.js";
import { mergePatch } from "./merge-patch.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const LINES = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
const text = (lines: string[]) => `${lines.join("\n")}\n`;
const withLine = (index: number, value: string) => text(LINES.map((line, i) => (i === index ? value : line)));

/**
 * Submits the checkout, lets the "agent" write `agentFiles` in the worktree, and returns the run's patch plus
 * the snapshot's state tree (the merge base).
 */
async function runAgent(repo: FixtureRepo, agentFiles: Record<string, string | Buffer>) {
  const w = await createTestWorker();
  cleanups.push(w.cleanup);
  const { snapshot, worktree } = await dispatchTo(w, repo.dir, "run-merge");
  await writeFiles(worktree.path, agentFiles);
  const { patch } = await w.cache.computePatch(worktree);
  return { baseTree: snapshot.stateTree, patch };
}

async function fixture(): Promise<FixtureRepo> {
  const repo = await createRepo({
    files: {
      "shared.txt": text(LINES),
      "other.txt": "other\n",
      "docs/readme.md": "docs\n",
      "img.bin": randomBytes(64),
    },
  });
  cleanups.push(repo.cleanup);
  return repo;
}

const file = (repo: FixtureRepo, path: string) => readFile(join(repo.dir, path), "utf8");

describe("mergePatch", () => {
  it("is clean when the user edited a different file after submitting; both changes are present", async () => {
    const repo = await fixture();
    const { baseTree, patch } = await runAgent(repo, { "shared.txt": withLine(0, "agent") });
    await writeFiles(repo.dir, { "other.txt": "user\n" });
    // Called from a subdirectory, as the CLI may be: paths still land relative to the top level.
    const report = await mergePatch({ repoRoot: join(repo.dir, "docs"), baseTree, patch });
    expect(report).toEqual({ outcome: "clean", files: [{ path: "shared.txt", status: "applied" }] });
    expect(await file(repo, "shared.txt")).toBe(withLine(0, "agent"));
    expect(await file(repo, "other.txt")).toBe("user\n");
  });

  it("merges when the user edited the same file in a different region", async () => {
    const repo = await fixture();
    const { baseTree, patch } = await runAgent(repo, { "shared.txt": withLine(1, "agent") });
    await writeFiles(repo.dir, { "shared.txt": withLine(35, "user") });
    const report = await mergePatch({ repoRoot: repo.dir, baseTree, patch });
    expect(report).toEqual({ outcome: "clean", files: [{ path: "shared.txt", status: "merged" }] });
    const expected = text(LINES.map((line, i) => (i === 1 ? "agent" : i === 35 ? "user" : line)));
    expect(await file(repo, "shared.txt")).toBe(expected);
  });

  it("reports a conflict on the same lines and leaves every byte of the working tree unchanged", async () => {
    const repo = await fixture();
    const { baseTree, patch } = await runAgent(repo, {
      "shared.txt": withLine(5, "agent"),
      "img.bin": randomBytes(64),
      "added-by-agent.txt": "new\n",
    });
    await writeFiles(repo.dir, { "shared.txt": withLine(5, "user"), "img.bin": randomBytes(64) });
    await repo.git("add", "img.bin");
    const before = await readTree(repo.dir);
    const indexBefore = createHash("sha256")
      .update(await readFile(join(repo.dir, ".git", "index")))
      .digest("hex");

    const report = await mergePatch({ repoRoot: repo.dir, baseTree, patch });

    expect(report.outcome).toBe("conflict");
    const byPath = new Map(report.files.map((entry) => [entry.path, entry]));
    expect(byPath.get("shared.txt")?.status).toBe("conflict");
    expect(byPath.get("shared.txt")?.detail).toMatch(/CONFLICT/);
    expect(byPath.get("img.bin")?.status).toBe("conflict");
    expect(byPath.get("added-by-agent.txt")).toMatchObject({
      status: "added",
      detail: expect.stringMatching(/not written/),
    });
    expect(await readTree(repo.dir)).toEqual(before);
    const indexAfter = createHash("sha256")
      .update(await readFile(join(repo.dir, ".git", "index")))
      .digest("hex");
    expect(indexAfter).toBe(indexBefore);
  });

  it("merges onto a HEAD that moved (user committed) and keeps the user's staged changes staged", async () => {
    const repo = await fixture();
    const { baseTree, patch } = await runAgent(repo, { "agent.txt": "from agent\n" });
    await writeFiles(repo.dir, { "other.txt": "committed later\n" });
    await repo.git("commit", "--quiet", "-am", "later");
    await writeFiles(repo.dir, { "staged.txt": "staged\n" });
    await repo.git("add", "staged.txt");
    const report = await mergePatch({ repoRoot: repo.dir, baseTree, patch });
    expect(report).toEqual({ outcome: "clean", files: [{ path: "agent.txt", status: "added" }] });
    expect(await file(repo, "agent.txt")).toBe("from agent\n");
    expect(await repo.git("diff", "--cached", "--name-only")).toBe("staged.txt");
    expect(await repo.git("status", "--porcelain", "--", "agent.txt")).toBe("?? agent.txt");
  });

  it("returns empty for an empty patch and NOT_FOUND for an unknown base tree", async () => {
    const repo = await fixture();
    expect(await mergePatch({ repoRoot: repo.dir, baseTree: "0".repeat(40), patch: Buffer.alloc(0) })).toEqual({
      outcome: "empty",
      files: [],
    });
    await expect(
      mergePatch({ repoRoot: repo.dir, baseTree: "1".repeat(40), patch: Buffer.from("diff --git a/x b/x\n") }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
