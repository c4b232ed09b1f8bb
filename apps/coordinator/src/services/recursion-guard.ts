import { isTerminalStatus, PanCodeError } from "@pancode/core";
import type { Database, RunRow } from "@pancode/db";
import type { DispatchInput } from "./admission.js";
import { workspaceOf } from "./run-view.js";

/** Where a dispatch sits in the tree of runs, derived on the server only. */
export interface Nesting {
  /** '' for a client submission. */
  parentRunId: string;
  depth: number;
}

/**
 * Gate 4, recursion guard. A dispatch authenticated with a run token is a sub-run of that run: its depth is the
 * parent's + 1, read from the runs table, never from anything the client sends. A client submission is depth 0.
 * Refuses with DEPTH_EXCEEDED when the depth would pass `maxDepth`.
 */
export function checkRecursion(parent: RunRow | undefined, parentRunId: string | undefined, maxDepth: number): Nesting {
  if (!parentRunId) return { parentRunId: "", depth: 0 };
  // The token was checked a moment ago; a parent that ended in between has lost its right to dispatch.
  if (!parent || isTerminalStatus(parent.status)) {
    throw new PanCodeError("UNAUTHENTICATED", `run ${parentRunId} has ended; its run token no longer dispatches`);
  }
  const depth = parent.depth + 1;
  if (depth > maxDepth) {
    throw new PanCodeError(
      "DEPTH_EXCEEDED",
      `Dispatch blocked: recursion depth ${depth} exceeds maximum ${maxDepth}. Complete the current task directly.`,
    );
  }
  return { parentRunId: parent.id, depth };
}

/**
 * The root of the tree of runs `run` belongs to: the client submission every sub-run descends from. Walks up the
 * parent links (depth-bounded; a missing parent ends the walk where it is).
 */
export async function rootRunOf(db: Pick<Database, "getRun">, run: RunRow): Promise<RunRow> {
  let current = run;
  for (let level = 0; level < 64 && current.parentRunId; level++) {
    const up = await db.getRun(current.parentRunId);
    if (!up) break;
    current = up;
  }
  return current;
}

/**
 * Gate 4, sub-run quota: a tree of runs (a client submission and everything its run tokens dispatched, at any
 * depth, ended or not) starts at most `max` sub-runs, so an agent cannot fan out without end within the depth limit.
 */
export function subRunQuotaRefusal(rootRunId: string, started: number, max: number): PanCodeError {
  return new PanCodeError(
    "DEPTH_EXCEEDED",
    `Dispatch blocked: the runs under run ${rootRunId} already started ${started} sub-runs, the maximum per run tree (PANCODE_MAX_SUBRUNS=${max}). Complete the current task directly.`,
  );
}

/**
 * A sub-run works on its parent's workspace. A run token cannot upload blobs, so naming another workspace could only
 * reach someone else's repository: refused.
 */
export function inheritedWorkspace(input: DispatchInput, parent: RunRow): DispatchInput["workspace"] {
  const own = workspaceOf(parent);
  const w = input.workspace;
  if (w.repoId && (w.repoId !== own.repoId || w.baseCommit !== own.baseCommit || w.stateTree !== own.stateTree)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `a sub-run of run ${parent.id} works on its parent's workspace; send no workspace with a run token`,
    );
  }
  return own;
}
