import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";

/**
 * The directory of the pancode client bundle that workers lend to runs for nested dispatch: the build output the
 * @pancode/cli package publishes as `@pancode/cli/client-bundle` (a file, not code this host runs). '' when the CLI
 * package or its bundle is not installed; workers then run without nested dispatch and say so.
 */
function clientBundleDir(): string {
  try {
    const bundle = createRequire(import.meta.url).resolve("@pancode/cli/client-bundle");
    return existsSync(bundle) ? dirname(bundle) : "";
  } catch {
    return "";
  }
}

/** `env` with PANCODE_CLIENT_DIR set to the installed client bundle, unless the operator chose one. */
export function withClientDir(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (env.PANCODE_CLIENT_DIR) return env;
  const dir = clientBundleDir();
  return dir ? { ...env, PANCODE_CLIENT_DIR: dir } : env;
}
