import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core";
import { findRepoRoot, type MergeReport, mergePatch } from "@pancode/git";
import type { ClientApi, RunInfo } from "@pancode/proto";

/** Where a patch that could not be merged is kept, relative to the repository root. */
export function savedPatchPath(repoRoot: string, runId: string): string {
  return join(repoRoot, ".pancode", "patches", `${runId}.patch`);
}

/** Result of merging a run back: the per-file report, and where the patch was saved on conflict. */
export interface MergeBackResult {
  report: MergeReport;
  savedPatch: string;
}

/**
 * Fetches the run's patch and merges it 3-way into the working tree of the checkout at `cwd`. On a conflict
 * nothing is touched: the patch is saved under `.pancode/patches/<run>.patch` (ignored by git) for the user.
 */
export async function mergeBack(api: ClientApi, run: RunInfo, cwd: string): Promise<MergeBackResult> {
  if (!run.workspace) throw new PanCodeError("INTERNAL", `run ${run.id} has no workspace reference`);
  const repoRoot = await findRepoRoot(cwd);
  const patch = await api.fetchPatch(run.id);
  const report = await mergePatch({ repoRoot, baseTree: run.workspace.stateTree, patch });
  if (report.outcome !== "conflict") return { report, savedPatch: "" };
  const path = savedPatchPath(repoRoot, run.id);
  await mkdir(join(repoRoot, ".pancode", "patches"), { recursive: true });
  // The saved patches must never travel in the next snapshot or show up in `git status`.
  await writeFile(join(repoRoot, ".pancode", "patches", ".gitignore"), "*\n");
  await writeFile(path, patch);
  return { report, savedPatch: path };
}

/** Human per-file report of a merge. */
export function formatMergeReport(result: MergeBackResult): string {
  const lines = result.report.files.map((f) => `  ${f.status.padEnd(8)} ${f.path}${f.detail ? `  (${f.detail})` : ""}`);
  if (result.report.outcome === "empty") return "no changes to merge";
  if (result.report.outcome === "clean") return [`merged ${result.report.files.length} file(s):`, ...lines].join("\n");
  return [
    "patch conflicts with your working tree; nothing was changed:",
    ...lines,
    `patch saved to ${result.savedPatch} (apply it by hand, or resolve and run pancode apply again)`,
  ].join("\n");
}

/**
 * Merges the patches of a chain's steps as one change: each step's patch is relative to the state the earlier
 * ones left, so they are applied in order onto the submitted state, then merged 3-way like a single run. On a
 * conflict nothing is touched and every step's patch is saved (`<name>-<step>.patch`, to apply in order).
 */
export async function mergeBackSteps(
  api: ClientApi,
  runs: readonly RunInfo[],
  cwd: string,
  name: string,
): Promise<MergeBackResult> {
  const withPatch = runs.filter((r) => r.status === "done" && r.patch && r.patch.bytes > 0);
  const first = runs[0];
  if (!first?.workspace) throw new PanCodeError("INTERNAL", `chain ${name} has no run with a workspace reference`);
  const repoRoot = await findRepoRoot(cwd);
  const patches: Buffer[] = [];
  for (const run of withPatch) patches.push(await api.fetchPatch(run.id));
  const report = await mergePatch({ repoRoot, baseTree: first.workspace.stateTree, patch: patches });
  if (report.outcome !== "conflict") return { report, savedPatch: "" };
  await mkdir(join(repoRoot, ".pancode", "patches"), { recursive: true });
  await writeFile(join(repoRoot, ".pancode", "patches", ".gitignore"), "*\n");
  const saved: string[] = [];
  for (const [i, patch] of patches.entries()) {
    const path = join(repoRoot, ".pancode", "patches", `${name}-${withPatch[i]?.id.slice(0, 8)}-${i + 1}.patch`);
    await writeFile(path, patch);
    saved.push(path);
  }
  return { report, savedPatch: saved.join(", ") };
}
