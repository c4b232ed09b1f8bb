import { timingSafeEqual } from "node:crypto";
import type { Metadata, ServiceDefinition, ServiceError, UntypedServiceImplementation } from "@grpc/grpc-js";
import { isPanCodeError, PanCodeError } from "@pancode/core";
import { bearerToken, toGrpcStatus } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";

/**
 * The one place where errors become gRPC statuses on the coordinator. PanCode errors keep their code (also sent as
 * a trailer); anything else is an internal error whose details stay in the log, never in the client's face.
 */
export function toServiceError(err: unknown, logger: Logger, method: string): Partial<ServiceError> {
  if (isPanCodeError(err)) return toGrpcStatus(err as PanCodeError);
  logger.error("request failed", { method, error: err as Error });
  return toGrpcStatus(new PanCodeError("INTERNAL", `internal error in ${method}; see the coordinator log`));
}

/** Marker object a hardened deserializer returns instead of throwing, so the handler can answer INVALID_ARGUMENT. */
export interface MalformedRequest {
  readonly __malformed: string;
}

/** True when the decoded request is a {@link MalformedRequest}. */
function isMalformed(value: unknown): value is MalformedRequest {
  return typeof value === "object" && value !== null && "__malformed" in value;
}

/** Throws INVALID_ARGUMENT for a malformed request; returns the request typed otherwise. */
export function wellFormed<T>(value: T | MalformedRequest): T {
  if (isMalformed(value)) throw new PanCodeError("INVALID_ARGUMENT", value.__malformed);
  return value;
}

/**
 * Wraps every request deserializer of a service so that undecodable messages reach our handlers as a marker
 * (answered INVALID_ARGUMENT, after authentication) instead of grpc-js's generic INTERNAL. Oversized messages never
 * get here: the transport refuses them (see transport-refusals.ts).
 */
export function hardenService<D extends ServiceDefinition>(definition: D): D {
  const hardened: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    hardened[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return { __malformed: `malformed request for ${name}: ${(err as Error).message}` };
        }
      },
    };
  }
  return hardened as D;
}

/** Throws UNAUTHENTICATED unless `metadata` carries `expected` as bearer token (constant-time comparison). */
export function requireToken(metadata: Metadata, expected: string, who: "client" | "worker"): void {
  const presented = Buffer.from(bearerToken(metadata));
  const wanted = Buffer.from(expected);
  if (presented.length === 0 || presented.length !== wanted.length || !timingSafeEqual(presented, wanted)) {
    throw new PanCodeError("UNAUTHENTICATED", `missing or invalid ${who} bearer token`);
  }
}

/** Shape accepted by grpc-js `server.addService`. */
export type Implementation = UntypedServiceImplementation;
