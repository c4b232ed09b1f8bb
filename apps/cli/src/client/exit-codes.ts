import { isPanCodeError } from "@pancode/core/errors";
import { isGrpcServiceError } from "@pancode/proto";
import { EXIT, UsageError } from "./exit-status.js";

export { EXIT, UsageError } from "./exit-status.js";

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
