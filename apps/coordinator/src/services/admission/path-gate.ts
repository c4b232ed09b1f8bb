import { checkPaths, type TreeLookup } from "../path-check.js";
import type { AdmissionGate } from "./context.js";
import { workspaceBundle } from "./workspace-gate.js";

/** Without the workspaces' files, paths are checked lexically only (no symlinks). */
const NO_TREE: TreeLookup = { files: new Map(), isDirectory: () => true, readLink: async () => "" };

/** Gate 6, paths: only a task that names paths costs a look at the workspace's files; missing ones are warnings. */
export const pathGate: AdmissionGate = {
  name: "path",
  async check(ctx, deps) {
    const trees = deps.trees;
    const input = ctx.input;
    const messages = await checkPaths(input.task, async () => {
      if (!trees) return NO_TREE;
      return trees.load({ ...input.workspace, bundleDigest: await workspaceBundle(input, deps) });
    });
    for (const message of messages) ctx.safetyWarnings.push({ action: "path_warning", message });
  },
};
