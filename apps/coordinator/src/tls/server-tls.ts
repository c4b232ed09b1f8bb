import { join } from "node:path";
import type { ServerTlsOptions } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";
import { CA_CERT_FILE, ensureGeneratedTls, fileExists, serverNames, TLS_DIR } from "./generated-tls.js";
import { isLoopbackListen, listenHost } from "./listen-address.js";

/** What the coordinator's TLS settings amount to. */
export interface TlsSettings {
  listen: string;
  dataDir: string;
  /** Operator-provided PEM paths (PANCODE_TLS_CERT / PANCODE_TLS_KEY). */
  certPath: string;
  keyPath: string;
  /** PANCODE_TLS_SANS: extra names of a generated server certificate. */
  extraNames: readonly string[];
  /** PANCODE_INSECURE_PLAINTEXT: plaintext off loopback, on purpose. */
  insecurePlaintext: boolean;
}

/** How the gRPC server is served, and which CA file its clients trust ("" when plaintext or operator-provided). */
export interface ServerTls {
  credentials: ServerTlsOptions;
  caPath: string;
  mode: "configured" | "generated" | "plaintext";
}

const PLAINTEXT: ServerTls = { credentials: { certPath: "", keyPath: "" }, caPath: "", mode: "plaintext" };

/**
 * Decides how the coordinator serves: the configured certificate when there is one; else the certificate it
 * generated in its data dir, which it uses whenever it listens off loopback or has generated one before (so the
 * local CLI, which trusts `<data dir>/tls/ca.crt` when it finds it, keeps working); plaintext only on loopback, or
 * off loopback with PANCODE_INSECURE_PLAINTEXT=1 (logged as a warning).
 */
export async function resolveServerTls(settings: TlsSettings, logger: Logger): Promise<ServerTls> {
  if (settings.certPath || settings.keyPath) {
    return { credentials: { certPath: settings.certPath, keyPath: settings.keyPath }, caPath: "", mode: "configured" };
  }
  const loopback = isLoopbackListen(settings.listen);
  if (settings.insecurePlaintext) {
    if (!loopback) {
      logger.warn(
        "serving PLAINTEXT off loopback (PANCODE_INSECURE_PLAINTEXT=1): tokens and patches cross the network in clear",
        {
          listen: settings.listen,
        },
      );
    }
    return PLAINTEXT;
  }
  if (loopback && !(await fileExists(join(settings.dataDir, TLS_DIR, CA_CERT_FILE)))) return PLAINTEXT;
  const names = serverNames(listenHost(settings.listen), settings.extraNames);
  const generated = await ensureGeneratedTls(settings.dataDir, names);
  logger.info("serving TLS with the coordinator's own CA; clients trust it with PANCODE_TLS_CA", {
    ca: generated.caPath,
    names,
  });
  return {
    credentials: { certPath: generated.certPath, keyPath: generated.keyPath },
    caPath: generated.caPath,
    mode: "generated",
  };
}
