import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";

/** Where the CLI connects and with which token, resolved from the environment. */
export interface ConnectionSettings {
  address: string;
  token: string;
  caPath: string;
}

/** The data dir of a local cluster (`pancode up`), where the client token lives. */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return env.PANCODE_DATA_DIR || join(homedir(), ".pancode");
}

/**
 * Address from PANCODE_COORDINATOR (default 127.0.0.1:7400); token from PANCODE_TOKEN, else the client token a local
 * `pancode up` wrote into its data dir (same PANCODE_DATA_DIR).
 */
export function connectionSettings(env: NodeJS.ProcessEnv): ConnectionSettings {
  let token = env.PANCODE_TOKEN ?? "";
  if (!token) {
    try {
      token = readFileSync(join(dataDirFrom(env), "client.token"), "utf8").trim();
    } catch (_err) {
      // No local cluster token: calls will be refused as UNAUTHENTICATED with a hint.
    }
  }
  return { address: env.PANCODE_COORDINATOR || "127.0.0.1:7400", token, caPath: env.PANCODE_TLS_CA ?? "" };
}

/** A client of the coordinator for one CLI invocation. */
export function connect(env: NodeJS.ProcessEnv = process.env): ClientApi {
  const settings = connectionSettings(env);
  return createClientApi({
    address: settings.address,
    token: settings.token,
    credentials: clientCredentials({ tls: false, caPath: settings.caPath }),
  });
}
