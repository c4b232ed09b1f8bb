import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The first executable `name` in `dirs` (default: the PATH entries), or undefined when there is none. */
export function findOnPath(name: string, dirs = (process.env.PATH ?? "").split(delimiter)): string | undefined {
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (_err) {
      // Not in this dir; keep looking.
    }
  }
  return undefined;
}
