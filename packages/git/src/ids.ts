import { PanCodeError } from "@pancode/core/errors";

/** Object ids this package accepts: full sha-1 (40 hex) or sha-256 (64 hex). */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Run ids become directory names, so they are limited to a path-safe alphabet. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws `INVALID_ARGUMENT` unless `value` is a full object id; `what` names the field in the message. */
export function assertObjectId(value: string, what: string): void {
  if (!OBJECT_ID.test(value)) {
    throw new PanCodeError("INVALID_ARGUMENT", `${what} must be a full lowercase git object id, got: ${value}`);
  }
}

/** Throws `INVALID_ARGUMENT` unless `runId` can safely name a directory under the worktree root. */
export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId) || runId.includes("..")) {
    throw new PanCodeError("INVALID_ARGUMENT", `run id is not a safe directory name: ${runId}`);
  }
}
