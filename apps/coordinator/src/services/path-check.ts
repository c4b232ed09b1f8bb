import { PanCodeError } from "@pancode/core";
import type { StateTree } from "@pancode/git";
import { CONTAINER_WORKSPACE, extractPaths, normalisePath } from "./path-extract.js";

/** Symlinks followed while resolving one path before it counts as a loop (Linux's own limit). */
const MAX_LINK_HOPS = 40;

/** Where a named path ends up: outside the workspace, or inside and whether something is there. */
export type PathVerdict = { outside: true; via: string } | { outside: false; exists: boolean };

/** The part of {@link StateTree} path resolution needs. */
export type TreeLookup = Pick<StateTree, "files" | "isDirectory" | "readLink">;

/**
 * Resolves `raw` against the workspace tree the way the agent's file system will: `..` segment by segment, and
 * every symlink of the tree on the way (relative targets from the link's directory, absolute ones against the
 * container's /workspace mount). Outside as soon as any step leaves the root.
 */
export async function resolveInTree(raw: string, tree: TreeLookup): Promise<PathVerdict> {
  const start = normalisePath(raw);
  if (start.outside) return { outside: true, via: raw };
  let pending = [...start.segments];
  const resolved: string[] = [];
  let hops = 0;
  // The last symlink followed: an escape after it happened through it.
  let via = raw;
  while (pending.length > 0) {
    const segment = pending.shift() as string;
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (resolved.length === 0) return { outside: true, via };
      resolved.pop();
      continue;
    }
    resolved.push(segment);
    const here = resolved.join("/");
    if (tree.files.get(here)?.mode !== "120000") continue;
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
      pending = [...inside.segments, ...pending];
    } else {
      pending = [...target.split("/"), ...pending];
    }
  }
  const path = resolved.join("/");
  return { outside: false, exists: path === "" || tree.files.has(path) || tree.isDirectory(path) };
}

/**
 * Gate 6, path validation: every path the task names is resolved against the submitted workspace. A path that
 * leaves the workspace (`..`, an absolute path elsewhere, `~`, or a symlink pointing out) refuses the dispatch with
 * PATH_OUTSIDE_WORKSPACE; a path that does not exist is a warning. `loadTree` is called only when the task names
 * a path, so tasks without paths cost nothing.
 */
export async function checkPaths(task: string, loadTree: () => Promise<TreeLookup>): Promise<string[]> {
  const found = extractPaths(task);
  if (found.length === 0) return [];
  const candidates = found.map((c) => c.path);
  // Lexical escapes need no tree: refuse them before touching git.
  for (const raw of candidates) {
    if (normalisePath(raw).outside) throw outside(raw, raw);
  }
  const tree = await loadTree();
  const warnings: string[] = [];
  for (const { path: raw, likely } of found) {
    const verdict = await resolveInTree(raw, tree);
    if (verdict.outside) throw outside(raw, verdict.via);
    // Only tokens that are surely paths earn a warning; `and/or` is checked for escapes but never reported.
    if (!verdict.exists && likely) warnings.push(`path "${raw}" named in the task does not exist in the workspace`);
  }
  return warnings;
}

function outside(raw: string, via: string): PanCodeError {
  const how = via === raw ? "" : ` (through ${via})`;
  return new PanCodeError(
    "PATH_OUTSIDE_WORKSPACE",
    `Dispatch blocked: path "${raw}" resolves outside the workspace${how}. Name files relative to the repository root; agents only see the workspace.`,
  );
}
