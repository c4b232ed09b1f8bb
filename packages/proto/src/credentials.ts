import { readFileSync } from "node:fs";
import { type ChannelCredentials, credentials, Metadata, ServerCredentials } from "@grpc/grpc-js";
import { PanCodeError } from "@pancode/core/errors";

/** TLS material of a server. When both paths are empty the server listens in plaintext. */
export interface ServerTlsOptions {
  certPath: string;
  keyPath: string;
}

/** Server credentials: TLS when a certificate and key are configured, else insecure (loopback / trusted network). */
export function serverCredentials(tls: ServerTlsOptions): ServerCredentials {
  if (!tls.certPath && !tls.keyPath) return ServerCredentials.createInsecure();
  if (!tls.certPath || !tls.keyPath) {
    throw new PanCodeError("CONFIG_INVALID", "TLS needs both PANCODE_TLS_CERT and PANCODE_TLS_KEY");
  }
  return ServerCredentials.createSsl(null, [
    { cert_chain: readFileSync(tls.certPath), private_key: readFileSync(tls.keyPath) },
  ]);
}

/**
 * Client credentials: TLS trusting `caPem` (a PEM certificate) or `caPath` when set (or system roots when `tls` is
 * true), else insecure.
 */
export function clientCredentials(options: { tls: boolean; caPath: string; caPem?: string }): ChannelCredentials {
  if (options.caPem) return credentials.createSsl(Buffer.from(options.caPem));
  if (options.caPath) return credentials.createSsl(readFileSync(options.caPath));
  if (options.tls) return credentials.createSsl();
  return credentials.createInsecure();
}

/** Metadata header carrying the bearer token of every call. */
export const AUTHORIZATION_HEADER = "authorization";

/** Fresh call metadata with `authorization: Bearer <token>`. */
export function bearerMetadata(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set(AUTHORIZATION_HEADER, `Bearer ${token}`);
  return metadata;
}

/** The bearer token presented in `metadata`, or "" when there is none. */
export function bearerToken(metadata: Metadata): string {
  const value = metadata.get(AUTHORIZATION_HEADER)[0];
  if (typeof value !== "string") return "";
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  return match?.[1] ?? "";
}
