import { PanCodeError } from "@pancode/core";

/** Socket-level failures: the engine is down or the socket is missing/forbidden, not a bad request. */
const CONNECTION_CODES = new Set(["ENOENT", "ECONNREFUSED", "ECONNRESET", "EACCES", "EPIPE", "ETIMEDOUT"]);

/** HTTP status of an error thrown by dockerode, if the engine answered at all. */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** True when `err` means the engine could not be reached. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECTION_CODES.has(code);
}

/** The engine's own message (`{"message": ...}` body) or the error text. */
function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}

/** Builds the UNAVAILABLE error for an unreachable engine; retryable because the engine may come back. */
export function engineUnavailable(socketPath: string, cause: unknown): PanCodeError {
  return new PanCodeError("UNAVAILABLE", `docker engine not reachable at ${socketPath}: ${dockerMessage(cause)}`, {
    cause,
    retryable: true,
  });
}

/**
 * Wraps a failed engine call: UNAVAILABLE when the socket is unreachable, otherwise SANDBOX_FAILED with the
 * engine's message. `what` names the action and identifier, e.g. "start container pancode-r1-ab12".
 */
export function wrapDockerError(err: unknown, what: string, socketPath: string): PanCodeError {
  if (isConnectionError(err)) return engineUnavailable(socketPath, err);
  return new PanCodeError("SANDBOX_FAILED", `docker could not ${what}: ${dockerMessage(err)}`, { cause: err });
}
