import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { type ErrorCode, isErrorCode, PanCodeError } from "@pancode/core/errors";

/** Trailer carrying the PanCode error code, so clients branch on our code rather than the coarser gRPC status. */
export const ERROR_CODE_TRAILER = "pancode-error-code";

/** True when `err` is an error returned by a grpc-js call. */
export function isGrpcServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === "number" && "metadata" in err;
}

const STATUS_FOR_CODE: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  EMPTY_TASK: status.INVALID_ARGUMENT,
  UNKNOWN_AGENT: status.NOT_FOUND,
  NOT_A_GIT_REPO: status.INVALID_ARGUMENT,
  WORKSPACE_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  DIGEST_MISMATCH: status.DATA_LOSS,
  STALE_ATTEMPT: status.FAILED_PRECONDITION,
  RUN_FINISHED: status.FAILED_PRECONDITION,
  PATCH_CONFLICT: status.ABORTED,
  DRAINING: status.UNAVAILABLE,
  NO_WORKER: status.FAILED_PRECONDITION,
  UNAVAILABLE: status.UNAVAILABLE,
  SANDBOX_FAILED: status.INTERNAL,
  GIT_FAILED: status.INTERNAL,
  CONFIG_INVALID: status.INVALID_ARGUMENT,
  INTERNAL: status.INTERNAL,
  MODE_BLOCKED: status.FAILED_PRECONDITION,
  READONLY_REQUIRED: status.PERMISSION_DENIED,
  DEPTH_EXCEEDED: status.OUT_OF_RANGE,
  PATH_OUTSIDE_WORKSPACE: status.PERMISSION_DENIED,
  SAFETY_BLOCKED: status.PERMISSION_DENIED,
  LOOP_DETECTED: status.ABORTED,
  BUDGET_EXCEEDED: status.RESOURCE_EXHAUSTED,
};

/** The gRPC status a PanCode error code travels as. */
export function grpcStatusFor(code: ErrorCode): status {
  return STATUS_FOR_CODE[code];
}

/** Turns a PanCode error into the `{code, details, metadata}` object grpc-js sends as the call's status. */
export function toGrpcStatus(err: PanCodeError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, err.code);
  return { code: grpcStatusFor(err.code), details: err.message, metadata };
}

/**
 * Turns a failed call into a PanCodeError: the server's own code when it sent one, otherwise a code derived from the
 * gRPC status. `address` is named in connection failures so users see what was tried.
 */
export function fromGrpcError(err: unknown, address: string): PanCodeError {
  if (!isGrpcServiceError(err)) return new PanCodeError("INTERNAL", String(err), { cause: err });
  const sent = err.metadata?.get(ERROR_CODE_TRAILER)[0];
  if (isErrorCode(sent)) return new PanCodeError(sent, err.details, { cause: err });
  switch (err.code) {
    case status.UNAVAILABLE:
      // A plaintext client talking to a TLS server (or one trusting another CA) only sees the connection drop.
      return new PanCodeError(
        "UNAVAILABLE",
        `coordinator unreachable at ${address}: ${err.details} (is it running? if it serves TLS, set PANCODE_TLS_CA to its CA certificate, e.g. its <data dir>/tls/ca.crt, or log in with pancode login --ca)`,
        {
          cause: err,
          retryable: true,
        },
      );
    case status.DEADLINE_EXCEEDED:
      return new PanCodeError("UNAVAILABLE", `coordinator at ${address} did not answer in time`, { cause: err });
    case status.UNAUTHENTICATED:
      return new PanCodeError(
        "UNAUTHENTICATED",
        `${err.details} (pancode login <address>, or set PANCODE_TOKEN, or PANCODE_DATA_DIR of a local cluster)`,
        {
          cause: err,
        },
      );
    case status.PERMISSION_DENIED:
      return new PanCodeError("PERMISSION_DENIED", err.details, { cause: err });
    case status.INVALID_ARGUMENT:
    case status.RESOURCE_EXHAUSTED:
      return new PanCodeError("INVALID_ARGUMENT", err.details, { cause: err });
    case status.NOT_FOUND:
      return new PanCodeError("NOT_FOUND", err.details, { cause: err });
    default:
      return new PanCodeError("INTERNAL", `${err.details} (gRPC status ${err.code})`, { cause: err });
  }
}
