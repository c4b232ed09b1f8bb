import { z } from "zod";

/**
 * Every failure PanCode reports across a process boundary carries one of these codes. Callers branch on `code`,
 * never on `instanceof`, because errors cross gRPC and NATS.
 */
export const ErrorCode = z.enum([
  "INVALID_ARGUMENT",
  "UNAUTHENTICATED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "EMPTY_TASK",
  "UNKNOWN_AGENT",
  "NOT_A_GIT_REPO",
  "WORKSPACE_TOO_LARGE",
  "DIGEST_MISMATCH",
  "STALE_ATTEMPT",
  "RUN_FINISHED",
  "PATCH_CONFLICT",
  "DRAINING",
  "NO_WORKER",
  "UNAVAILABLE",
  "SANDBOX_FAILED",
  "GIT_FAILED",
  "CONFIG_INVALID",
  "INTERNAL",
  // Admission refusals, one code per gate of the seed's pipeline (the ones above cover task, agent and routing).
  "MODE_BLOCKED",
  "READONLY_REQUIRED",
  "DEPTH_EXCEEDED",
  "PATH_OUTSIDE_WORKSPACE",
  "SAFETY_BLOCKED",
  "LOOP_DETECTED",
  "BUDGET_EXCEEDED",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** Options for {@link PanCodeError}. */
export interface PanCodeErrorOptions extends ErrorOptions {
  /** Whether repeating the same call later may succeed. @default false */
  retryable?: boolean;
}

/**
 * The one error class of PanCode. Its message says what failed and names the identifier involved; its code says
 * how a boundary (gRPC status, CLI exit code, bus nak/term) must translate it.
 */
export class PanCodeError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: PanCodeErrorOptions = {}) {
    super(message, options);
    this.name = "PanCodeError";
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** True when `err` is a {@link PanCodeError}, or any error carrying a known PanCode `code` (e.g. across copies). */
export function isPanCodeError(err: unknown): err is PanCodeError {
  if (err instanceof PanCodeError) return true;
  if (typeof err !== "object" || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && ErrorCode.safeParse(code).success && err instanceof Error;
}

/** Narrows an unknown thrown value to an Error, wrapping anything else so that `cause` chains stay intact. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
