import { isPanCodeError, PanCodeError } from "@pancode/core";

// SQLSTATE classes: 08 connection exception, 57P admin/crash shutdown, 53 insufficient resources; 40001/40P01 are
// serialization failure and deadlock. All of them may succeed when repeated.
const RETRYABLE_SQLSTATE = /^(08|53|57P|40001|40P01)/;
const RETRYABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);

/** The SQLSTATE or errno code of a driver error, looking through drizzle's DrizzleQueryError wrapper. */
function driverErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && !isPanCodeError(e)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `err` is (or wraps) a unique_violation. */
export function isUniqueViolation(err: unknown): boolean {
  return driverErrorCode(err) === "23505";
}

/**
 * Turns a failure of database operation `op` into a PanCodeError: UNAVAILABLE (retryable) when the database could
 * not be reached or asked us to retry, INTERNAL otherwise. PanCodeErrors raised by the queries pass unchanged.
 */
export function toDatabaseError(op: string, err: unknown): PanCodeError {
  if (isPanCodeError(err)) return err;
  const code = driverErrorCode(err);
  const retryable = code !== undefined && (RETRYABLE_SQLSTATE.test(code) || RETRYABLE_ERRNO.has(code));
  const detail = err instanceof Error ? (rootMessage(err) ?? err.message) : String(err);
  return new PanCodeError(retryable ? "UNAVAILABLE" : "INTERNAL", `database ${op} failed: ${detail}`, {
    cause: err,
    retryable,
  });
}

// DrizzleQueryError's own message is the SQL text; the driver's message underneath says what went wrong.
function rootMessage(err: Error): string | undefined {
  const cause = err.cause;
  return cause instanceof Error ? (rootMessage(cause) ?? cause.message) : undefined;
}
