import { PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { AgentSpec } from "./agent-spec.js";
import { BUILTIN_AGENTS } from "./builtin-agents.js";

/** Options of {@link createAgentRegistry}. */
export interface AgentRegistryOptions {
  /** Image used by agents that do not name one. */
  defaultImage: string;
  /** Extra agents (cluster directory, repository); a later spec replaces an earlier one of the same name. */
  extra?: readonly AgentSpec[];
}

/** The agents a coordinator can dispatch to. */
export interface AgentRegistry {
  list(): AgentSpec[];
  /** Resolves `name` into everything a worker needs; throws UNKNOWN_AGENT listing the available agents. */
  resolve(name: string): ResolvedAgent;
}

/** Builds the registry from the built-in fleet plus `extra`. */
export function createAgentRegistry(options: AgentRegistryOptions): AgentRegistry {
  const byName = new Map<string, AgentSpec>();
  for (const spec of [...BUILTIN_AGENTS, ...(options.extra ?? [])]) byName.set(spec.name, spec);
  return {
    list: () => [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
    resolve(name) {
      const spec = byName.get(name);
      if (!spec) {
        const names = [...byName.keys()].sort().join(", ");
        throw new PanCodeError("UNKNOWN_AGENT", `unknown agent "${name}"; available agents: ${names}`);
      }
      return {
        name: spec.name,
        runtime: spec.runtime,
        image: spec.image || options.defaultImage,
        readonly: spec.readonly,
        timeoutMs: spec.timeoutMs,
        limits: spec.limits,
        network: spec.network,
        model: spec.model,
      };
    },
  };
}
