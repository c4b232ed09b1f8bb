import type { CliEnv } from "../cli-env.js";
import { UsageError } from "../exit-status.js";

/**
 * Safety levels of a session, weakest first; the coordinator refuses agents that need more (gate 7a). `suggest`:
 * read-only agents; `auto-edit`: also agents that edit files and run commands inside their container; `full-auto`:
 * also agents that reach beyond it (host networking, egress other than the model endpoint). `pancode mode` prints it.
 */
export const SAFETY_LEVELS = ["suggest", "auto-edit", "full-auto"] as const;

/** The session's level when neither --safety nor PANCODE_SAFETY says otherwise. */
const DEFAULT_SAFETY = "auto-edit";

/**
 * The session's safety level: `--safety`, else PANCODE_SAFETY, else auto-edit. Anything else is a usage error
 * (exit 2) naming the valid levels, caught before anything is uploaded.
 */
export function sessionSafety(option: string | undefined, env: Pick<CliEnv, "safety">): string {
  const value = (option ?? env.safety ?? "").trim() || DEFAULT_SAFETY;
  if (!(SAFETY_LEVELS as readonly string[]).includes(value)) {
    const source = option !== undefined ? "--safety" : "PANCODE_SAFETY";
    throw new UsageError(`${source} must be one of ${SAFETY_LEVELS.join(", ")}; got "${value}"`);
  }
  return value;
}

/**
 * True when the CLI runs inside a run's container with that run's token (nested dispatch): the workspace is the
 * parent's, so nothing is snapshotted or uploaded. Only the token decides, never PANCODE_PARENT_RUN: the
 * coordinator derives the parent from the token.
 */
export function isRunToken(token: string): boolean {
  return token.startsWith("pcr1.");
}
