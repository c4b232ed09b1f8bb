import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_SUBRUNS } from "../admission.js";
import { checkRecursion, inheritedWorkspace, rootRunOf } from "../recursion-guard.js";
import type { AdmissionGate } from "./context.js";

/**
 * Gate 4, recursion: nesting comes from the parent row only, and a sub-run that names no workspace works on its
 * parent's. The sub-run quota is counted later, in the insert's transaction under a lock on the tree's root.
 */
export const recursionGate: AdmissionGate = {
  name: "recursion",
  async check(ctx, deps) {
    const parentRunId = ctx.input.parentRunId;
    const parent = parentRunId ? await deps.db.getRun(parentRunId) : undefined;
    ctx.nesting = checkRecursion(parent, parentRunId, deps.maxDepth ?? DEFAULT_MAX_DEPTH);
    if (!parent) return;
    ctx.parent = parent;
    ctx.input = { ...ctx.input, workspace: inheritedWorkspace(ctx.input, parent) };
    const root = await rootRunOf(deps.db, parent);
    ctx.subRuns = { rootRunId: root.id, max: deps.maxSubRuns ?? DEFAULT_MAX_SUBRUNS };
  },
};
