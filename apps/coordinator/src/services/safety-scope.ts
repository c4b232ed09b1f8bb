import { getRuntime } from "@pancode/agents";
import { PanCodeError, type ResolvedAgent } from "@pancode/core";

/** Safety levels of a client session, weakest first (the seed's autonomy modes). */
export const SAFETY_LEVELS = ["suggest", "auto-edit", "full-auto"] as const;
export type SafetyLevel = (typeof SAFETY_LEVELS)[number];

/** The level of a session that states none: the seed's default. */
const DEFAULT_SAFETY: SafetyLevel = "auto-edit";

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
 * Why an agent reaches beyond its sandbox, or undefined when it stays inside. The sandbox is the container: non-root,
 * no capabilities, only the worktree mounted, and no network beyond what its model needs. Beyond it are:
 * - host networking (`network: host`): the worker's own services and the host's loopback;
 * - network egress of a runtime without a model (`command` with `bridge`): the program itself talks to the world.
 *   A model runtime's `bridge` network serves its model endpoint and counts as inside;
 * - an egress allowlist (`egress:` hosts its run's proxy tunnels to).
 * Agents cannot ask for extra mounts (the agent spec has no such field); when they can, they belong here too.
 */
export function beyondSandbox(agent: ResolvedAgent): string | undefined {
  if (agent.network === "host") return "it uses host networking";
  if (agent.network !== "none" && !getRuntime(agent.runtime).needsModel) {
    return `its runtime "${agent.runtime}" needs no model, so its ${agent.network} network is open egress`;
  }
  if (agent.egress.length > 0) return `it may reach ${agent.egress.join(", ")} through its proxy`;
  return undefined;
}

/**
 * The level an agent needs, decided in this order:
 * 1. `full-auto` for agents that reach beyond their sandbox ({@link beyondSandbox}), read-only or not.
 * 2. `suggest` for read-only agents: their worktree is mounted read-only and nothing they do is merged back, so
 *    their only effect is their output (also when they may run tests with bash).
 * 3. `auto-edit` for the rest: agents that edit files and run commands inside their sandbox (the default `dev`, a
 *    shell tool, the `command` runtime with network none). The container is the boundary, and their changes come
 *    back as a patch the developer merges.
 */
export function requiredSafetyLevel(agent: ResolvedAgent): SafetyLevel {
  if (beyondSandbox(agent)) return "full-auto";
  return agent.readonly ? "suggest" : "auto-edit";
}

/** Why an agent needs its level, for a refusal: the reason it leaves the sandbox, or what it does inside. */
function needReason(agent: ResolvedAgent, needed: SafetyLevel): string {
  if (needed === "full-auto") return beyondSandbox(agent) ?? "it reaches beyond its sandbox";
  return "it changes files in its workspace";
}

/** Gate 7a, scope: an agent may not get more than the session's safety level allows. */
export function checkScope(agent: ResolvedAgent, session: SafetyLevel): void {
  const needed = requiredSafetyLevel(agent);
  if (SAFETY_LEVELS.indexOf(needed) <= SAFETY_LEVELS.indexOf(session)) return;
  throw new PanCodeError(
    "SAFETY_BLOCKED",
    `Dispatch blocked: agent "${agent.name}" needs safety level ${needed}, but the session allows ${session} ` +
      `(${needReason(agent, needed)}). ` +
      `Dispatch with --safety ${needed} (or PANCODE_SAFETY=${needed}) if you mean it, or pick a less capable agent.`,
  );
}
