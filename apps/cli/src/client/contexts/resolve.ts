import { UsageError } from "../exit-status.js";
import { type Context, type PancodeConfig, unknownContextMessage } from "./context.js";

/** Where the CLI connects and with which token. */
export interface ConnectionSettings {
  address: string;
  token: string;
  /** A CA certificate file (PANCODE_TLS_CA or the local data dir's); "" = none. */
  caPath: string;
  /** A CA certificate carried inline by a context; wins over caPath. */
  caPem?: string;
  /** The context these settings came from, if any. */
  context?: string;
}

/** What {@link resolveConnection} chooses between; `config` and `environment` are read only when needed. */
export interface ConnectionSources {
  env: NodeJS.ProcessEnv;
  /** The global --context flag. */
  contextFlag?: string;
  config: () => PancodeConfig;
  /** PANCODE_COORDINATOR / PANCODE_TOKEN / PANCODE_TLS_CA, falling back to a local `pancode up` data dir. */
  environment: () => ConnectionSettings;
}

/**
 * Precedence, first match wins, and one source supplies the address, token and CA together (a token is never sent
 * to another cluster's address):
 * 1. `--context <name>`;
 * 2. PANCODE_COORDINATOR / PANCODE_TOKEN, or PANCODE_CONTEXT (both at once is ambiguous: an error);
 * 3. the current context of config.yaml;
 * 4. a local `pancode up` data dir (and the default address 127.0.0.1:7400).
 */
export function resolveConnection(sources: ConnectionSources): ConnectionSettings {
  const { env, contextFlag } = sources;
  if (contextFlag) return fromContext(named(contextFlag, sources.config()));
  const fromEnv = Boolean(env.PANCODE_COORDINATOR || env.PANCODE_TOKEN);
  if (env.PANCODE_CONTEXT) {
    if (fromEnv) {
      throw new UsageError(
        `PANCODE_CONTEXT=${env.PANCODE_CONTEXT} and PANCODE_COORDINATOR/PANCODE_TOKEN are both set: unset one, or pass --context`,
      );
    }
    return fromContext(named(env.PANCODE_CONTEXT, sources.config()));
  }
  if (fromEnv) return sources.environment();
  const config = sources.config();
  if (config.current) {
    const current = config.contexts.find((c) => c.name === config.current);
    if (!current) {
      throw new UsageError(`the current context "${config.current}" is not defined: pancode context use <name>`);
    }
    return fromContext(current);
  }
  return sources.environment();
}

function named(name: string, config: PancodeConfig): Context {
  const context = config.contexts.find((c) => c.name === name);
  if (!context) throw new UsageError(unknownContextMessage(name, config));
  return context;
}

function fromContext(context: Context): ConnectionSettings {
  return {
    address: context.address,
    token: context.token,
    caPath: "",
    ...(context.ca ? { caPem: context.ca } : {}),
    context: context.name,
  };
}
