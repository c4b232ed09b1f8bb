/**
 * Every failure PanCode reports across a process boundary carries one of these codes. Callers branch on `code`,
 * never on `instanceof`, because errors cross gRPC and NATS.
 */
export const ERROR_CODES = [
  "INVALID_ARGUMENT",
  "UNAUTHENTICATED",
  /** The caller is known but its role does not allow the method (or the object is another team's). */
  "PERMISSION_DENIED",
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
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

// A plain list rather than a zod enum: every client command loads this module, and zod alone costs it ~45 ms of
// start-up (the CLI bundle leaves zod out when nothing on a command's path needs it).
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether `value` is one of the {@link ERROR_CODES}, e.g. a code read from gRPC trailers. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && KNOWN_CODES.has(value);
}

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
  return isErrorCode(code) && err instanceof Error;
}

/** Narrows an unknown thrown value to an Error, wrapping anything else so that `cause` chains stay intact. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
