import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type ConnectionSettings, resolveConnection } from "./contexts/resolve.js";
import { configPath, contextFlag, loadedConfig } from "./contexts/selection.js";

export type { ConnectionSettings } from "./contexts/resolve.js";

/**
 * Everything one pancode invocation takes from its surroundings (the --context flag, PANCODE_* variables,
 * config.yaml, the working directory), read once by {@link cliEnv}. The use cases in client/ receive it instead of
 * reading `process.env` themselves, so the CLI and the MCP server submit, follow and merge under the same settings.
 */
export interface CliEnv {
  /** The repository dispatches upload from and merge back into: the directory pancode (or `pancode mcp`) runs in. */
  cwd: string;
  /** PANCODE_MODE: the session mode when --mode is not given (plan | build | review). */
  mode?: string;
  /** PANCODE_SAFETY: the session safety level when --safety is not given. */
  safety?: string;
  /** PANCODE_PROTECTED_PATHS: extra paths a merge-back holds for review (see merge/protected-paths.ts). */
  protectedPaths?: string;
  /** Where `pancode login` and `pancode context` keep their contexts. */
  configPath: string;
  /**
   * Where to connect: --context, PANCODE_* variables, config.yaml, or a local cluster's data dir. Resolved on first
   * call, so a command that never connects works with a malformed config.yaml.
   */
  connection(): ConnectionSettings;
}

/** Reads a {@link CliEnv} from `env` and `cwd`; main.ts has settled the --context flag and config.yaml before. */
export function loadCliEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): CliEnv {
  let settings: ConnectionSettings | undefined;
  return {
    cwd,
    mode: env.PANCODE_MODE,
    safety: env.PANCODE_SAFETY,
    protectedPaths: env.PANCODE_PROTECTED_PATHS,
    configPath: configPath(env),
    connection: () => {
      settings ??= connectionSettings(env);
      return settings;
    },
  };
}

let current: CliEnv | undefined;

/** This invocation's {@link CliEnv}, read on first use (after main.ts selected the context). */
export function cliEnv(): CliEnv {
  current ??= loadCliEnv();
  return current;
}

/** The data dir of a local cluster (`pancode up`), where the client token lives. */
function dataDirFrom(env: NodeJS.ProcessEnv): string {
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
function environmentSettings(env: NodeJS.ProcessEnv): ConnectionSettings {
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
