import { commitTree } from "./commit-objects.js";
import { type GitTarget, gitBytes } from "./git-runner.js";

/** Result of {@link mergeTrees}: the merged tree and, when it has conflicts, a message per conflicted path. */
export interface TreeMerge {
  tree: string;
  /** Conflicted path -> git's conflict message(s); empty for a clean merge. */
  conflicts: Map<string, string>;
}

/**
 * Three-way merge of the trees `ours` and `theirs` with merge base `base`, without touching any index, HEAD or
 * file. git 2.39 has no `merge-tree --merge-base`, so we build throwaway commits (B from `base`; O' and T' with
 * parent B) and let `merge-tree --write-tree` find B as their merge base.
 */
export async function mergeTrees(target: GitTarget, trees: { base: string; ours: string; theirs: string }) {
  const base = await commitTree(target, trees.base, [], "pancode: merge base");
  const ours = await commitTree(target, trees.ours, [base], "pancode: working state");
  const theirs = await commitTree(target, trees.theirs, [base], "pancode: run result");
  const res = await gitBytes(target, ["merge-tree", "--write-tree", "--name-only", "--messages", "-z", ours, theirs], {
    okExitCodes: [0, 1],
  });
  return parseMergeTree(res.stdout.toString("utf8"));
}

/**
 * Parses `merge-tree --write-tree --name-only --messages -z` output:
 * `<tree>\0` then `<path>\0`... then `\0`, then per message `<n>\0<path>\0`...(n)`<type>\0<text>\0`.
 * Messages about conflicts ("CONFLICT ...") become the detail of each path they name. Exported for unit tests.
 */
export function parseMergeTree(raw: string): TreeMerge {
  const tokens = raw.split("\0");
  const tree = tokens[0] ?? "";
  const conflicts = new Map<string, string>();
  let i = 1;
  for (; i < tokens.length && tokens[i] !== ""; i += 1) conflicts.set(tokens[i] ?? "", "");
  i += 1;
  while (i < tokens.length) {
    const count = Number.parseInt(tokens[i] ?? "", 10);
    if (!Number.isFinite(count)) break;
    const paths = tokens.slice(i + 1, i + 1 + count);
    const type = tokens[i + 1 + count] ?? "";
    const text = (tokens[i + 2 + count] ?? "").trim();
    i += 3 + count;
    if (!type.startsWith("CONFLICT")) continue;
    for (const path of paths) {
      if (!conflicts.has(path)) continue;
      const previous = conflicts.get(path);
      conflicts.set(path, previous ? `${previous}; ${text}` : text);
    }
  }
  return { tree, conflicts };
}
