import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";
import { type ConnectionSettings, resolveConnection } from "./contexts/resolve.js";
import { contextFlag, loadedConfig } from "./contexts/selection.js";

export type { ConnectionSettings } from "./contexts/resolve.js";

/** The data dir of a local cluster (`pancode up`), where the client token lives. */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return env.PANCODE_DATA_DIR || join(homedir(), ".pancode");
}

/**
 * Where this invocation connects: the --context flag, PANCODE_* variables, the current context of config.yaml, or
 * a local cluster's data dir, in that order (see contexts/resolve.ts).
 */
export function connectionSettings(env: NodeJS.ProcessEnv): ConnectionSettings {
  return resolveConnection({
    env,
    contextFlag: contextFlag(),
    config: loadedConfig,
    environment: () => environmentSettings(env),
  });
}

/**
 * Address from PANCODE_COORDINATOR (default 127.0.0.1:7400); token from PANCODE_TOKEN, else the client token a local
 * `pancode up` wrote into its data dir (same PANCODE_DATA_DIR).
 */
export function environmentSettings(env: NodeJS.ProcessEnv): ConnectionSettings {
  let token = env.PANCODE_TOKEN ?? "";
  let caPath = env.PANCODE_TLS_CA ?? "";
  if (!token) {
    try {
      token = readFileSync(join(dataDirFrom(env), "client.token"), "utf8").trim();
      caPath ||= localCa(env);
    } catch (_err) {
      // No local cluster token: calls will be refused as UNAUTHENTICATED with a hint.
    }
  }
  return { address: env.PANCODE_COORDINATOR || "127.0.0.1:7400", token, caPath };
}

/**
 * The CA a local coordinator generated in its data dir (`<data dir>/tls/ca.crt`): a coordinator that has one serves
 * TLS, unless it was told to serve plaintext (PANCODE_INSECURE_PLAINTEXT=1, which the CLI then honours too).
 */
function localCa(env: NodeJS.ProcessEnv): string {
  if (["1", "true", "yes", "on"].includes((env.PANCODE_INSECURE_PLAINTEXT ?? "").toLowerCase())) return "";
  const path = join(dataDirFrom(env), "tls", "ca.crt");
  return existsSync(path) ? path : "";
}

/** A client of the coordinator at `settings`. */
export function connectTo(settings: ConnectionSettings, deadlineMs?: number): ClientApi {
  return createClientApi({
    address: settings.address,
    token: settings.token,
    credentials: clientCredentials({ tls: false, caPath: settings.caPath, caPem: settings.caPem }),
    deadlineMs,
  });
}

/** A client of the coordinator for one CLI invocation. */
export function connect(env: NodeJS.ProcessEnv = process.env): ClientApi {
  return connectTo(connectionSettings(env));
}
