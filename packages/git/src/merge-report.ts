import type { PatchFile } from "@pancode/core";

/**
 * What merge-back did (or, on conflict, would have done) to one file. "skipped": a symlink that would leave the
 * repository, never created even when the rest of the patch is merged.
 */
export type MergeFileStatus = "applied" | "merged" | "conflict" | "deleted" | "added" | "skipped";

/** An entry of a patch held back for review, and why. */
export interface HeldEntry {
  path: string;
  reason: string;
}

/**
 * Per-file result of `mergePatch`. On "conflict" and "held" nothing was written ("held": the review callback
 * named entries that need the developer's explicit consent, listed in `held`); on "empty" the patch had no change.
 */
export interface MergeReport {
  outcome: "clean" | "conflict" | "empty" | "held";
  files: { path: string; status: MergeFileStatus; detail?: string }[];
  held?: HeldEntry[];
}

type ReportFile = MergeReport["files"][number];

/** Inputs of {@link buildMergeReport}. */
export interface MergeReportInput {
  /** Files of the patch (base tree -> run result). */
  patchFiles: readonly PatchFile[];
  /** Paths the user changed since the base tree (working state vs base, no rename pairing). */
  userChanged: ReadonlySet<string>;
  /** Conflicted path -> message. Non-empty means nothing was written. */
  conflicts: ReadonlyMap<string, string>;
}

/**
 * One report line per patch file (plus any conflicted path outside the patch, e.g. a rename clash). A file is
 * "merged" when the user had also changed it, "applied" when only the run did; additions and deletions are named
 * as such. With conflicts, the non-conflicting lines say what would have happened.
 */
export function buildMergeReport(input: MergeReportInput): MergeReport {
  const { patchFiles, userChanged, conflicts } = input;
  const blocked = conflicts.size > 0;
  const files: ReportFile[] = patchFiles.map((file) => {
    const conflict = conflicts.get(file.path) ?? (file.oldPath ? conflicts.get(file.oldPath) : undefined);
    if (conflict !== undefined) return { path: file.path, status: "conflict", detail: conflict || "conflict" };
    const line = describe(file, userChanged);
    if (!blocked) return line;
    const would = `not written because other files conflict; would be ${line.status}`;
    return { ...line, detail: line.detail ? `${would} (${line.detail})` : would };
  });
  const reported = new Set(patchFiles.flatMap((file) => [file.path, file.oldPath ?? file.path]));
  for (const [path, message] of conflicts) {
    if (!reported.has(path)) files.push({ path, status: "conflict", detail: message || "conflict" });
  }
  return { outcome: blocked ? "conflict" : "clean", files };
}

function describe(file: PatchFile, userChanged: ReadonlySet<string>): ReportFile {
  const touchedByUser = userChanged.has(file.path) || (file.oldPath !== undefined && userChanged.has(file.oldPath));
  switch (file.status) {
    case "added":
      return touchedByUser
        ? { path: file.path, status: "merged", detail: "added on both sides with the same content" }
        : { path: file.path, status: "added" };
    case "deleted":
      return { path: file.path, status: "deleted" };
    case "renamed":
    case "copied":
      return {
        path: file.path,
        status: touchedByUser ? "merged" : "applied",
        detail: `${file.status} from ${file.oldPath ?? "?"}`,
      };
    default:
      return { path: file.path, status: touchedByUser ? "merged" : "applied" };
  }
}
