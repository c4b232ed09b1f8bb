import { PanCodeError } from "@pancode/core/errors";
import { findRepoRoot, type HeldEntry, type MergeReport, mergePatch, type PatchReview } from "@pancode/git";
import type { ClientApi, RunInfo } from "@pancode/proto";
import { shortId } from "../../output.js";
import type { CliEnv } from "../cli-env.js";
import { findProtected, protectedPatterns } from "./protected-paths.js";
import { saveConflictPatches } from "./saved-patches.js";

/** Result of merging a run back: the per-file report, where the patch was saved on conflict, and the runs merged. */
export interface MergeBackResult {
  report: MergeReport;
  savedPatch: string;
  /** The runs whose patches were merged (a chain's steps, in order): what `pancode apply` takes. */
  runIds: string[];
}

/** Options of a merge-back. */
export interface MergeBackOptions {
  /** Merge protected entries too (`pancode apply --accept-protected`); symlinks leaving the repository never. */
  acceptProtected?: boolean;
}

/**
 * The review every merge-back runs unless the developer accepted protected entries: any protected path or
 * outside symlink holds the whole patch back. Extra patterns come from the developer's PANCODE_PROTECTED_PATHS,
 * never from the repository.
 */
function protectedReview(env: CliEnv, options: MergeBackOptions): ((review: PatchReview) => HeldEntry[]) | undefined {
  if (options.acceptProtected) return undefined;
  const patterns = protectedPatterns(env.protectedPaths);
  return (review) => findProtected(review, patterns);
}

/** True when the merge changed nothing because of a conflict or protected entries (exit 3). */
export function mergeBlocked(result: MergeBackResult | undefined): boolean {
  return result?.report.outcome === "conflict" || result?.report.outcome === "held";
}

/**
 * Fetches the run's patch and merges it 3-way into the working tree of the checkout at `env.cwd`. A patch touching a
 * protected entry is held back whole; on a conflict nothing is touched and the patch is saved under the git dir
 * (`<git dir>/pancode/patches/<run>.patch`) for the user.
 */
export async function mergeBack(
  api: ClientApi,
  run: RunInfo,
  env: CliEnv,
  options: MergeBackOptions = {},
): Promise<MergeBackResult> {
  if (!run.workspace) throw new PanCodeError("INTERNAL", `run ${run.id} has no workspace reference`);
  const repoRoot = await findRepoRoot(env.cwd);
  const patch = await api.fetchPatch(run.id);
  const report = await mergePatch({
    repoRoot,
    baseTree: run.workspace.stateTree,
    patch,
    review: protectedReview(env, options),
  });
  if (report.outcome !== "conflict") return { report, savedPatch: "", runIds: [run.id] };
  const [saved] = await saveConflictPatches(repoRoot, [{ name: `${run.id}.patch`, bytes: patch }]);
  return { report, savedPatch: saved ?? "", runIds: [run.id] };
}

/** Human per-file report of a merge. */
export function formatMergeReport(result: MergeBackResult): string {
  const { report } = result;
  const lines = report.files.map((f) => `  ${f.status.padEnd(8)} ${f.path}${f.detail ? `  (${f.detail})` : ""}`);
  if (report.outcome === "empty") return "no changes to merge";
  if (report.outcome === "clean") return [`merged ${report.files.length} file(s):`, ...lines].join("\n");
  if (report.outcome === "held") return formatHeld(result);
  return [
    "patch conflicts with your working tree; nothing was changed:",
    ...lines,
    `patch saved to ${result.savedPatch} (apply it by hand, or resolve and run pancode apply again)`,
  ].join("\n");
}

function formatHeld(result: MergeBackResult): string {
  const held = result.report.held ?? [];
  const width = Math.max(...held.map((h) => h.path.length));
  const ids = result.runIds.map(shortId);
  const apply =
    ids.length === 1
      ? `pancode apply ${ids[0]} --accept-protected`
      : `pancode apply <run> --accept-protected for each of ${ids.join(", ")}, in that order`;
  return [
    "patch held back: it changes protected entries; nothing was merged:",
    ...held.map((h) => `  ${h.path.padEnd(width)}  ${h.reason}`),
    `review it with pancode diff ${ids[0] ?? ""}; merge it anyway with ${apply}`,
    "(symlinks that leave the repository are never created, even then)",
  ].join("\n");
}

/**
 * Merges the patches of a chain's steps as one change: each step's patch is relative to the state the earlier
 * ones left, so they are applied in order onto the submitted state, then merged 3-way like a single run. Protected
 * entries hold all of it back; on a conflict nothing is touched and every step's patch is saved under the git dir
 * (`<name>-<step>.patch`, to apply in order).
 */
export async function mergeBackSteps(
  api: ClientApi,
  runs: readonly RunInfo[],
  env: CliEnv,
  name: string,
): Promise<MergeBackResult> {
  const withPatch = runs.filter((r) => r.status === "done" && r.patch && r.patch.bytes > 0);
  const first = runs[0];
  if (!first?.workspace) throw new PanCodeError("INTERNAL", `chain ${name} has no run with a workspace reference`);
  const repoRoot = await findRepoRoot(env.cwd);
  const patches: Buffer[] = [];
  for (const run of withPatch) patches.push(await api.fetchPatch(run.id));
  const report = await mergePatch({
    repoRoot,
    baseTree: first.workspace.stateTree,
    patch: patches,
    review: protectedReview(env, {}),
  });
  const runIds = withPatch.map((r) => r.id);
  if (report.outcome !== "conflict") return { report, savedPatch: "", runIds };
  const saved = await saveConflictPatches(
    repoRoot,
    patches.map((bytes, i) => ({ name: `${name}-${withPatch[i]?.id.slice(0, 8)}-${i + 1}.patch`, bytes })),
  );
  return { report, savedPatch: saved.join(", "), runIds };
}
