import { posix } from "node:path";

/** A symlink of a patch that would lead out of the working tree once created. */
export interface EscapingSymlink {
  /** The link the patch adds or changes (repository-relative). */
  path: string;
  /** Its target, as stored in the link. */
  target: string;
  /** Why it escapes, for the merge report. */
  reason: string;
}

/** More hops than this is a loop (Linux's own limit is 40). */
const MAX_HOPS = 40;

type Resolution = { escapes: false; through: string[] } | { escapes: true; through: string[]; why: string };

/**
 * Resolves the link at `path` within a tree whose symlinks are `links` (path -> target), the way the kernel would
 * once they are on disk: from the link's own directory, following every link met on the way. It escapes when it
 * climbs above the root, has an absolute target (anywhere, even into the checkout: the checkout may move), enters
 * a `.git` directory, or loops. Lexical checks alone are not enough: `a -> .` plus `b -> a/..` each look inside.
 */
export function resolveLink(path: string, links: ReadonlyMap<string, string>): Resolution {
  const stack = posix.dirname(path) === "." ? [] : posix.dirname(path).split("/");
  const first = links.get(path) ?? "";
  if (first.startsWith("/")) return { escapes: true, through: [], why: `absolute target ${first}` };
  let queue = first.split("/");
  const through: string[] = [];
  while (queue.length > 0) {
    const part = queue.shift() ?? "";
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (stack.length === 0) return { escapes: true, through, why: "leaves the repository" };
      stack.pop();
      continue;
    }
    if (part.toLowerCase() === ".git") return { escapes: true, through, why: "points into a .git directory" };
    stack.push(part);
    const here = stack.join("/");
    const next = links.get(here);
    if (next === undefined) continue;
    through.push(here);
    if (through.length > MAX_HOPS) return { escapes: true, through, why: "symlink loop" };
    if (next.startsWith("/")) return { escapes: true, through, why: `leads through ${here} to ${next}` };
    stack.pop();
    queue = [...next.split("/"), ...queue];
  }
  return { escapes: false, through };
}

/**
 * The symlinks among `changed` that make some link of the result tree escape the working tree: a changed link
 * that escapes, or a changed link that another (possibly older) link passes through on its way out.
 * `links` holds every symlink of the result tree.
 */
export function findEscapingSymlinks(
  links: ReadonlyMap<string, string>,
  changed: ReadonlySet<string>,
): EscapingSymlink[] {
  const found = new Map<string, EscapingSymlink>();
  for (const path of links.keys()) {
    const resolution = resolveLink(path, links);
    if (!resolution.escapes) continue;
    for (const culprit of [path, ...resolution.through]) {
      if (!changed.has(culprit) || found.has(culprit)) continue;
      const target = links.get(culprit) ?? "";
      const reason =
        culprit === path
          ? `symlink to ${target}: ${resolution.why}`
          : `symlink to ${target}: lets ${path} escape (${resolution.why})`;
      found.set(culprit, { path: culprit, target, reason });
    }
  }
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
}
