import { PanCodeError } from "@pancode/core";
import type { StateTree } from "@pancode/git";
import { CONTAINER_WORKSPACE, extractPaths, normalisePath, type PathCandidate } from "./path-extract.js";

/** Symlinks followed while resolving one path before it counts as a loop (Linux's own limit). */
const MAX_LINK_HOPS = 40;

/** Where a named path ends up: outside the workspace, or inside and whether something is there. */
export type PathVerdict = { outside: true; via: string } | { outside: false; exists: boolean };

/** The part of {@link StateTree} path resolution needs. */
export type TreeLookup = Pick<StateTree, "files" | "isDirectory" | "readLink">;

/** Missing paths listed one warning each; the rest are counted in one more, so warnings (and their audit entries)
 * stay few however many missing files a task names. */
export const MAX_LISTED_MISSING = 10;

/** A file extension at the end of a name (`.ts`, `.json`, `.tar`): what makes a missing path look like a file. */
const FILE_EXTENSION = /\.[A-Za-z][A-Za-z0-9_-]{0,9}$/;

/**
 * Resolves `raw` against the workspace tree the way the agent's file system will: `..` segment by segment, and
 * every symlink of the tree on the way (relative targets from the link's directory, absolute ones against the
 * container's /workspace mount). Outside as soon as any step leaves the root.
 *
 * Linear in the path's length (for a given tree): segments are a stack, and the tree is only asked about a prefix
 * whose parent exists, since nothing below a missing directory can be a symlink. Those prefixes are no deeper than
 * the tree itself.
 */
export async function resolveInTree(raw: string, tree: TreeLookup): Promise<PathVerdict> {
  const start = normalisePath(raw);
  if (start.outside) return { outside: true, via: raw };
  // Segments still to walk, next one last.
  const pending = start.segments.reverse();
  const resolved: string[] = [];
  // resolved[0 .. known) is a chain of directories that exist in the tree.
  let known = 0;
  let hops = 0;
  // The last symlink followed: an escape after it happened through it.
  let via = raw;
  while (pending.length > 0) {
    const segment = pending.pop() as string;
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (resolved.length === 0) return { outside: true, via };
      resolved.pop();
      known = Math.min(known, resolved.length);
      continue;
    }
    resolved.push(segment);
    // Below something missing (or a file) nothing exists, so nothing there can be a link.
    if (resolved.length - 1 > known) continue;
    const here = resolved.join("/");
    if (tree.files.get(here)?.mode !== "120000") {
      if (tree.isDirectory(here)) known = resolved.length;
      continue;
    }
    if (++hops > MAX_LINK_HOPS) return { outside: true, via: `${here} (symlink loop)` };
    const target = await tree.readLink(here);
    via = `${here} -> ${target}`;
    resolved.pop();
    if (target.startsWith("/")) {
      const inside = normalisePath(target);
      if (inside.outside || !(target === CONTAINER_WORKSPACE || target.startsWith(`${CONTAINER_WORKSPACE}/`))) {
        return { outside: true, via };
      }
      resolved.length = 0;
      known = 0;
      pushReversed(pending, inside.segments);
    } else {
      pushReversed(pending, target.split("/"));
    }
  }
  if (resolved.length === 0) return { outside: false, exists: true };
  if (resolved.length - 1 > known) return { outside: false, exists: false };
  const path = resolved.join("/");
  return { outside: false, exists: tree.files.has(path) || tree.isDirectory(path) };
}

function pushReversed(stack: string[], segments: string[]): void {
  for (let i = segments.length - 1; i >= 0; i--) stack.push(segments[i] as string);
}

/**
 * Gate 6, path validation: every path the task names (see {@link extractPaths}) is resolved against the submitted
 * workspace. A path that leaves the workspace (`..`, an absolute path elsewhere, `~`, or a symlink pointing out)
 * refuses the dispatch with PATH_OUTSIDE_WORKSPACE; a path that surely names a workspace file but does not exist
 * is a warning. `loadTree` is called only when the task names a path, so tasks without paths cost nothing.
 */
export async function checkPaths(task: string, loadTree: () => Promise<TreeLookup>): Promise<string[]> {
  const found = extractPaths(task);
  if (found.length === 0) return [];
  // Lexical escapes need no tree: refuse them before touching git.
  for (const { path } of found) {
    if (normalisePath(path).outside) throw outside(path, path);
  }
  const tree = await loadTree();
  const missing: string[] = [];
  for (const candidate of found) {
    const verdict = await resolveInTree(candidate.path, tree);
    if (verdict.outside) throw outside(candidate.path, verdict.via);
    if (!verdict.exists && warnsWhenMissing(candidate, tree)) missing.push(candidate.path);
  }
  return missingWarnings(missing);
}

/**
 * Whether a missing path is worth a warning: one that looks like a file or a directory (`src/new.ts`, `./data.json`,
 * `src/auth/`) and is no glob; a relative one (`src/x.ts`) only when it starts in a directory of the tree; bare
 * names never (`notes.md` may be a file the task asks for). So `and/or`, `s/foo/bar/`, `./Header` (an import) and
 * `output/result.json` in a tree without `output/` stay silent.
 */
function warnsWhenMissing({ path, kind }: PathCandidate, tree: TreeLookup): boolean {
  if (kind === "bare" || path.includes("*") || path.includes("?")) return false;
  const fileOrDirectory = path.endsWith("/") || FILE_EXTENSION.test(path.slice(path.lastIndexOf("/")));
  if (!fileOrDirectory || kind !== "relative") return fileOrDirectory;
  const first = path.slice(0, path.indexOf("/"));
  return tree.files.has(first) || tree.isDirectory(first);
}

function missingWarnings(missing: string[]): string[] {
  const listed = missing
    .slice(0, MAX_LISTED_MISSING)
    .map((p) => `path "${shown(p)}" named in the task does not exist in the workspace`);
  const more = missing.length - listed.length;
  if (more > 0) listed.push(`${more} more paths named in the task do not exist in the workspace`);
  return listed;
}

function outside(raw: string, via: string): PanCodeError {
  const how = via === raw ? "" : ` (through ${shown(via)})`;
  return new PanCodeError(
    "PATH_OUTSIDE_WORKSPACE",
    `Dispatch blocked: path "${shown(raw)}" resolves outside the workspace${how}. Name files relative to the repository root; agents only see the workspace.`,
  );
}

/** Characters of a path quoted in a message: enough to recognise it, never a 64 KB line in the audit log. */
const MAX_SHOWN = 120;

function shown(path: string): string {
  return path.length <= MAX_SHOWN ? path : `${path.slice(0, MAX_SHOWN)}... (${path.length} characters)`;
}
