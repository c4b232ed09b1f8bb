/**
 * @pancode/agents: the agent fleet (specs, registry) and the runtime adapters that start each agent CLI.
 *
 * ```ts
 * const registry = createAgentRegistry({ defaultImage: "pancode/agent:dev" });
 * const agent = registry.resolve("shell");
 * const { argv } = getRuntime(agent.runtime).buildInvocation({ task: "npm test", agent });
 * ```
 */
export { type AgentRegistry, type AgentRegistryOptions, createAgentRegistry } from "./agent-registry.js";
export type { AgentInvocation, AgentRuntime } from "./agent-runtime.js";
export { AgentSpec, DEFAULT_LIMITS, DEFAULT_TIMEOUT_MS } from "./agent-spec.js";
export { BUILTIN_AGENTS } from "./builtin-agents.js";
export { getRuntime, runtimeNames } from "./runtime-registry.js";
