import { type ClientApi, clientCredentials, createClientApi } from "@pancode/proto";
import { type CliEnv, type ConnectionSettings, cliEnv } from "./cli-env.js";

/** A client of the coordinator at `settings`. */
export function connectTo(settings: ConnectionSettings, deadlineMs?: number): ClientApi {
  return createClientApi({
    address: settings.address,
    token: settings.token,
    credentials: clientCredentials({ tls: false, caPath: settings.caPath, caPem: settings.caPem }),
    deadlineMs,
  });
}

/** A client of the coordinator this invocation connects to (see {@link CliEnv.connection}). */
export function connect(env: CliEnv = cliEnv()): ClientApi {
  return connectTo(env.connection());
}
