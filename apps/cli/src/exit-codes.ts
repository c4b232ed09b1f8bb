import { isPanCodeError } from "@pancode/core";
import { isGrpcServiceError } from "@pancode/proto";

/** Exit codes of every pancode command. */
export const EXIT = {
  ok: 0,
  /** The run itself failed (error, timeout, interrupted, budget_exceeded), or `audit verify` found a broken chain. */
  runFailed: 1,
  /** Bad usage or input detected before anything was sent. */
  usage: 2,
  /** The patch conflicts with the working tree; nothing was changed, the patch is saved. */
  conflict: 3,
  /** The coordinator is unreachable or refused the request. */
  rejected: 4,
} as const;

/** Error raised by the CLI itself for bad usage (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The exit code for an error: a conflict is 3; anything the coordinator answered (or could not be reached for) is
 * 4; problems found locally before sending (not a git repository, a too-large workspace, bad flags) are 2.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (isPanCodeError(err)) {
    if (err.code === "PATCH_CONFLICT") return EXIT.conflict;
    if (err.code === "UNAVAILABLE" || isGrpcServiceError(err.cause)) return EXIT.rejected;
    return EXIT.usage;
  }
  return EXIT.usage;
}
