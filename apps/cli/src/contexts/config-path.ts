import { homedir } from "node:os";
import { join } from "node:path";

/** Where `pancode login` keeps its contexts: `$XDG_CONFIG_HOME/pancode/config.yaml`, else `~/.config/pancode/`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "pancode", "config.yaml");
}
