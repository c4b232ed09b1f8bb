import { type ErrorCode, isPanCodeError } from "@pancode/core";

/** A refusal the HTTP layer itself makes (bad JSON, unknown path, missing CSRF header). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** HTTP status of each PanCode error code; codes not listed are 500. The API names the code in lower case. */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  READONLY_REQUIRED: 403,
  PATH_OUTSIDE_WORKSPACE: 403,
  SAFETY_BLOCKED: 403,
  NOT_FOUND: 404,
  UNKNOWN_AGENT: 404,
  INVALID_ARGUMENT: 400,
  EMPTY_TASK: 400,
  NOT_A_GIT_REPO: 400,
  CONFIG_INVALID: 400,
  DEPTH_EXCEEDED: 400,
  ALREADY_EXISTS: 409,
  STALE_ATTEMPT: 409,
  RUN_FINISHED: 409,
  PATCH_CONFLICT: 409,
  MODE_BLOCKED: 409,
  NO_WORKER: 409,
  LOOP_DETECTED: 409,
  WORKSPACE_TOO_LARGE: 413,
  BUDGET_EXCEEDED: 429,
  DRAINING: 503,
  UNAVAILABLE: 503,
};

/** The body of every error answer: `{ error: { code, message } }`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Turns a failure into an HTTP status and body. PanCode errors keep their one-line message (the CLI prints the same);
 * anything else is a 500 whose details stay in the log.
 */
export function errorAnswer(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message } }, internal: false };
  }
  if (isPanCodeError(err)) {
    const status = STATUS_OF[err.code] ?? 500;
    return {
      status,
      body: { error: { code: err.code.toLowerCase(), message: err.message } },
      internal: status === 500,
    };
  }
  return {
    status: 500,
    body: { error: { code: "internal", message: "internal error; see the coordinator log" } },
    internal: true,
  };
}
