/**
 * Which context this invocation uses, settled once by main.ts when the command runs: the global `--context <name>`
 * flag, and config.yaml when a context may be needed. Kept free of heavy imports: the YAML parser is loaded only when the file
 * exists and the environment does not already say where to connect, so a CLI without contexts starts as fast as before.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../exit-status.js";
import type { PancodeConfig } from "./context.js";

// One module for everything main.ts needs about contexts: each module on the start-up path is a file Node loads.

let flag: string | undefined;
let loaded: () => PancodeConfig = () => ({ contexts: [] });

/** Where `pancode login` keeps its contexts: `$XDG_CONFIG_HOME/pancode/config.yaml`, else `~/.config/pancode/`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "pancode", "config.yaml");
}

/**
 * Removes every `--context <name>` / `--context=<name>` before a `--` from `argv` (it is global: accepted before or
 * after the command) and returns the rest with the last name given.
 */
export function takeContextFlag(argv: readonly string[]): { argv: string[]; context?: string } {
  const rest: string[] = [];
  let context: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith("--context=")) context = arg.slice("--context=".length);
    else if (arg === "--context") context = argv[++i];
    else {
      rest.push(arg);
      continue;
    }
    if (!context || context.startsWith("-"))
      throw new UsageError("--context needs a context name (pancode context list)");
  }
  return { argv: rest, context };
}

/** Records the --context flag and, when a context may be needed, reads config.yaml (a read error is kept for later). */
export async function selectContext(env: NodeJS.ProcessEnv, contextFlag: string | undefined): Promise<void> {
  flag = contextFlag;
  const named = Boolean(contextFlag || env.PANCODE_CONTEXT);
  const path = configPath(env);
  if (!named && (env.PANCODE_COORDINATOR || env.PANCODE_TOKEN || !existsSync(path))) return;
  const { readConfig } = await import("./config-file.js");
  try {
    const config = readConfig(path);
    loaded = () => config;
  } catch (err) {
    // Only commands that connect need the file: `pancode up` or `--help` still work with a malformed one.
    loaded = () => {
      throw err;
    };
  }
}

/** The --context flag of this invocation, if any. */
export function contextFlag(): string | undefined {
  return flag;
}

/** config.yaml as read at start-up (no contexts when it was not needed); throws the error that reading it raised. */
export function loadedConfig(): PancodeConfig {
  return loaded();
}
