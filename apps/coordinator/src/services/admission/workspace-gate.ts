import { EMPTY_DIGEST, PanCodeError } from "@pancode/core";
import type { DispatchInput } from "../admission.js";
import type { AdmissionDeps, AdmissionGate } from "./context.js";

/** Last: the workspace's blobs must be on the coordinator; finds the bundle that holds the base commit. */
export const workspaceGate: AdmissionGate = {
  name: "workspace",
  async check(ctx, deps) {
    ctx.bundleDigest = await workspaceBundle(ctx.input, deps);
  },
};

/** The bundle of the workspace's base commit, after checking that its state (and a new bundle) were uploaded. */
export async function workspaceBundle(
  input: DispatchInput,
  deps: Pick<AdmissionDeps, "blobs" | "db">,
): Promise<string> {
  const w = input.workspace;
  const state = w.stateDigest || EMPTY_DIGEST;
  if (!(await deps.blobs.has(state))) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `uncommitted state ${state} was not uploaded; upload it before dispatching`,
    );
  }
  if (w.bundleDigest) {
    if (!(await deps.blobs.has(w.bundleDigest))) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `bundle ${w.bundleDigest} was not uploaded; upload it before dispatching`,
      );
    }
    await deps.db.recordCommit(w.repoId, w.baseCommit, w.bundleDigest);
    return w.bundleDigest;
  }
  const known = await deps.db.findCommit(w.repoId, w.baseCommit);
  if (!known) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `the coordinator does not have commit ${w.baseCommit} of repository ${w.repoId}; send a bundle with it`,
    );
  }
  return known.bundleDigest;
}
