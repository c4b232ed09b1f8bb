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
