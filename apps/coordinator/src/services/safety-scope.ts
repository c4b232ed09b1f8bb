import { getRuntime } from "@pancode/agents";
import { PanCodeError, type ResolvedAgent } from "@pancode/core";

/** Safety levels of a client session, weakest first (the seed's autonomy modes). */
export const SAFETY_LEVELS = ["suggest", "auto-edit", "full-auto"] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** The level of a session that states none: the seed's default. */
export const DEFAULT_SAFETY: SafetyLevel = "auto-edit";

/** Tool names that give an agent a shell (Pi calls it bash; other CLIs shell or exec). */
const SHELL_TOOLS = new Set(["bash", "shell", "sh", "exec", "terminal", "run_shell_command"]);

/** Parses a level; INVALID_ARGUMENT naming the valid ones for anything else. */
export function parseSafetyLevel(value: string): SafetyLevel {
  if ((SAFETY_LEVELS as readonly string[]).includes(value)) return value as SafetyLevel;
  throw new PanCodeError(
    "INVALID_ARGUMENT",
    `unknown safety level "${value}"; use one of: ${SAFETY_LEVELS.join(", ")} (--safety or PANCODE_SAFETY)`,
  );
}

/**
 * The level a dispatch runs under: the one it asked for ('' = auto-edit), capped at the parent's for a sub-run, so
 * a run can never dispatch more capable agents than its own session allowed.
 */
export function sessionSafety(requested: string, parentLevel?: unknown): SafetyLevel {
  const level = parseSafetyLevel(requested || DEFAULT_SAFETY);
  if (parentLevel === undefined) return level;
  return weakerLevel(level, typeof parentLevel === "string" ? parseSafetyLevel(parentLevel) : DEFAULT_SAFETY);
}

/** The weaker of two levels: a sub-run never gets more than the run that dispatched it. */
export function weakerLevel(a: SafetyLevel, b: SafetyLevel): SafetyLevel {
  return SAFETY_LEVELS.indexOf(a) <= SAFETY_LEVELS.indexOf(b) ? a : b;
}

/**
 * The level an agent needs, decided in this order:
 * 1. `suggest` for read-only agents: their worktree is mounted read-only and nothing they do is merged back, so
 *    their only effect is their output (also when they may run tests with bash).
 * 2. `full-auto` for agents that can run arbitrary programs: the `command` runtime, a shell tool (bash, shell, sh,
 *    exec, terminal, run_shell_command), an empty tool list (the runtime's default set, which for every agent CLI
 *    includes a shell), or a network other than none on a runtime without a model (the program itself gets egress;
 *    a model runtime's network serves its model API, and without a shell its tools cannot use it).
 * 3. `auto-edit` for the rest: agents that edit files with file tools only.
 */
export function requiredSafetyLevel(agent: ResolvedAgent): SafetyLevel {
  if (agent.readonly) return "suggest";
  const needsModel = getRuntime(agent.runtime).needsModel;
  const shell = agent.tools.length === 0 || agent.tools.some((t) => SHELL_TOOLS.has(t.toLowerCase()));
  if (agent.runtime === "command" || (needsModel && shell) || (!needsModel && agent.network !== "none")) {
    return "full-auto";
  }
  return "auto-edit";
}

/** Gate 7a, scope: an agent may not get more than the session's safety level allows. */
export function checkScope(agent: ResolvedAgent, session: SafetyLevel): void {
  const needed = requiredSafetyLevel(agent);
  if (SAFETY_LEVELS.indexOf(needed) <= SAFETY_LEVELS.indexOf(session)) return;
  throw new PanCodeError(
    "SAFETY_BLOCKED",
    `Dispatch blocked: agent "${agent.name}" needs safety level ${needed}, but the session allows ${session}. ` +
      `Dispatch with --safety ${needed} (or PANCODE_SAFETY=${needed}) if you mean it, or pick a less capable agent.`,
  );
}
