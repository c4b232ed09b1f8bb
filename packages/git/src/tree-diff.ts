import type { PatchFile, PatchFileStatus } from "@pancode/core";
import { type GitTarget, gitBytes } from "./git-runner.js";

/**
 * Flags that make the patch independent of the user's diff configuration: plumbing `diff-tree` ignores
 * `diff.noprefix`, colour, external diff drivers and textconv, and we pin the prefixes and submodule format anyway
 * because `git apply` needs exactly `a/` and `b/` and cannot read `--submodule=log` output.
 */
const PATCH_FLAGS = ["-r", "-p", "--binary", "--full-index", "-M", "--no-color", "--no-ext-diff", "--no-textconv"];
const PREFIX_FLAGS = ["--src-prefix=a/", "--dst-prefix=b/", "--submodule=short"];

/**
 * The binary-safe patch turning tree `from` into tree `to` (`--binary --full-index -M`), as exact bytes. Empty
 * buffer when the trees are equal.
 */
export async function diffTrees(target: GitTarget, from: string, to: string): Promise<Buffer> {
  if (from === to) return Buffer.alloc(0);
  const res = await gitBytes(target, ["diff-tree", ...PATCH_FLAGS, ...PREFIX_FLAGS, from, to]);
  return res.stdout;
}

/**
 * The same patch as {@link diffTrees} from tree `from` to the tree the index (`target`'s GIT_INDEX_FILE) would write:
 * plumbing `diff-index --cached` reads the index, so it runs beside the `write-tree` of that index instead of after.
 */
export async function diffTreeToIndex(target: GitTarget, from: string): Promise<Buffer> {
  const res = await gitBytes(target, [...DIFF_INDEX, from]);
  return res.stdout;
}

/** {@link diffTreeToIndex}'s git command without the tree it diffs from (also run by a shell chain: capture-ahead.ts). */
export const DIFF_INDEX: readonly string[] = ["diff-index", "--cached", ...PATCH_FLAGS, ...PREFIX_FLAGS];

/** The files that differ between trees `from` and `to`, with rename detection and git's binary verdict. */
export async function listChangedFiles(target: GitTarget, from: string, to: string): Promise<PatchFile[]> {
  if (from === to) return [];
  const [status, numstat] = await Promise.all([
    gitBytes(target, ["diff-tree", "-r", "-z", "-M", "--name-status", from, to]),
    gitBytes(target, ["diff-tree", "-r", "-z", "-M", "--numstat", from, to]),
  ]);
  const binary = parseBinaryPaths(numstat.stdout.toString("utf8"));
  return parseNameStatus(status.stdout.toString("utf8")).map((file) => ({ ...file, binary: binary.has(file.path) }));
}

/** The paths (both sides of renames) that differ between `from` and `to`, without rename pairing. */
export async function listChangedPaths(target: GitTarget, from: string, to: string): Promise<Set<string>> {
  if (from === to) return new Set();
  const res = await gitBytes(target, ["diff-tree", "-r", "-z", "--no-renames", "--name-only", from, to]);
  return new Set(res.stdout.toString("utf8").split("\0").filter(Boolean));
}

const STATUS: Record<string, PatchFileStatus> = {
  A: "added",
  M: "modified",
  D: "deleted",
  R: "renamed",
  C: "copied",
  T: "type-changed",
};

/**
 * Parses `--name-status -z` output: `<status>\0<path>\0`, or `<R|C><score>\0<old>\0<new>\0` for renames and copies.
 * Exported for unit tests.
 */
export function parseNameStatus(raw: string): Omit<PatchFile, "binary">[] {
  const tokens = raw.split("\0");
  const files: Omit<PatchFile, "binary">[] = [];
  let i = 0;
  while (i < tokens.length) {
    const code = tokens[i] ?? "";
    if (code === "") {
      i += 1;
      continue;
    }
    const status = STATUS[code.charAt(0)] ?? "modified";
    if (status === "renamed" || status === "copied") {
      files.push({ path: tokens[i + 2] ?? "", status, oldPath: tokens[i + 1] ?? "" });
      i += 3;
    } else {
      files.push({ path: tokens[i + 1] ?? "", status });
      i += 2;
    }
  }
  return files;
}

/**
 * Parses `--numstat -z` output and returns the (new) paths git counts as binary (`-\t-`). Records are
 * `<add>\t<del>\t<path>\0`, or `<add>\t<del>\t\0<old>\0<new>\0` for renames. Exported for unit tests.
 */
export function parseBinaryPaths(raw: string): Set<string> {
  const tokens = raw.split("\0");
  const binary = new Set<string>();
  let i = 0;
  while (i < tokens.length) {
    const record = tokens[i] ?? "";
    if (record === "") {
      i += 1;
      continue;
    }
    const [added, deleted, ...rest] = record.split("\t");
    const inlinePath = rest.join("\t");
    const path = inlinePath === "" ? (tokens[i + 2] ?? "") : inlinePath;
    i += inlinePath === "" ? 3 : 1;
    if (added === "-" && deleted === "-") binary.add(path);
  }
  return binary;
}
