import { type AgentRegistry, capViolations, getRuntime, type SandboxCaps } from "@pancode/agents";
import { isPanCodeError, type ModelTarget, PanCodeError, type ResolvedAgent } from "@pancode/core";
import { REFUSAL_PREFIX, withTimeout } from "../admission.js";
import type { AdmissionDeps, AdmissionGate } from "./context.js";

/**
 * Gate 9, agent: it exists (when repository agent files were broken, the refusal says which and why), gets the
 * dispatch's timeout, fits the cluster's caps, and its model resolves against the cluster's models.
 */
export const agentGate: AdmissionGate = {
  name: "agent",
  check(ctx, deps) {
    const agent = withTimeout(resolveAgent(ctx.agents, ctx.agentName, ctx.fileWarnings), ctx.input.timeoutMs);
    if (deps.caps) checkCaps(agent, deps.caps);
    ctx.agent = agent;
    ctx.model = resolveModelFor(agent, ctx.input.model, deps);
  },
};

function resolveAgent(agents: AgentRegistry, name: string, fileWarnings: readonly string[]): ResolvedAgent {
  try {
    return agents.resolve(name);
  } catch (err) {
    if (fileWarnings.length === 0 || !isPanCodeError(err) || err.code !== "UNKNOWN_AGENT") throw err;
    throw new PanCodeError("UNKNOWN_AGENT", `${err.message}; agent files with errors: ${fileWarnings.join("; ")}`, {
      cause: err,
    });
  }
}

/**
 * Repository agent files and `--timeout` only ask: refused, not clamped, so the developer learns why their run
 * would not get what its file says.
 */
function checkCaps(agent: ResolvedAgent, caps: SandboxCaps): void {
  const over = capViolations(agent, caps);
  if (over.length > 0) throw new PanCodeError("INVALID_ARGUMENT", `${REFUSAL_PREFIX}${over.join("; ")}`);
}

/**
 * The model of a run whose runtime needs one: the dispatch's `--model`, else the agent's, else the cluster default
 * (unknown names list the known ones). Null for plain commands.
 */
function resolveModelFor(agent: ResolvedAgent, requested: string, deps: AdmissionDeps): ModelTarget | null {
  if (!getRuntime(agent.runtime).needsModel) return null;
  return deps.models.resolve(requested || agent.model);
}
