import type { WorkspaceRef } from "@pancode/core";
import type { RunRow } from "@pancode/db";

/** Where a run's starting state comes from, as stored on its row. */
export function workspaceOf(row: RunRow): WorkspaceRef {
  return {
    repoId: row.repoId,
    baseCommit: row.baseCommit,
    bundleDigest: row.bundleDigest,
    stateDigest: row.stateDigest,
    stateTree: row.stateTree,
  };
}
