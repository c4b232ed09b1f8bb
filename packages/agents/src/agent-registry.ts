import { PanCodeError, type ResolvedAgent } from "@pancode/core";
import type { AgentSource, AgentSpec } from "./agent-spec.js";
import { BUILTIN_AGENTS } from "./builtin-agents.js";
import { BUILTIN_TEAMS, type TeamSpec } from "./team-spec.js";

/** Options of {@link createAgentRegistry}. Layers: built-ins < cluster (`extra`, `teams`) < repository. */
export interface AgentRegistryOptions {
  /** Image used by agents that do not name one. */
  defaultImage: string;
  /** Cluster agents (its agents directory); one of the same name replaces a built-in. */
  extra?: readonly AgentSpec[];
  /** Cluster teams; one of the same name replaces a built-in. */
  teams?: readonly TeamSpec[];
  /** Agents of the submitted repository (`.pancode/agents/`); they replace cluster and built-in ones. */
  repoAgents?: readonly AgentSpec[];
  /** Teams of the submitted repository (`.pancode/teams/`). */
  repoTeams?: readonly TeamSpec[];
}

/** A team with its members resolved. */
export interface ResolvedTeam {
  name: string;
  description: string;
  source: AgentSource;
  agents: ResolvedAgent[];
}

/** The agents and teams a coordinator can dispatch to. */
export interface AgentRegistry {
  /** Every agent, by name; each carries the `source` of the layer it came from. */
  list(): AgentSpec[];
  /** The spec of `name`, or undefined. */
  get(name: string): AgentSpec | undefined;
  /** Resolves `name` into everything a worker needs; throws UNKNOWN_AGENT listing the available agents. */
  resolve(name: string): ResolvedAgent;
  /** Every team, by name. */
  listTeams(): TeamSpec[];
  /** Resolves a team and its members; throws NOT_FOUND listing the teams, or UNKNOWN_AGENT for a missing member. */
  resolveTeam(name: string): ResolvedTeam;
  /** This registry plus a repository's agents and teams on top (for one dispatch); this one is unchanged. */
  withRepository(layer: { agents?: readonly AgentSpec[]; teams?: readonly TeamSpec[] }): AgentRegistry;
}

/** Later layers replace earlier specs of the same name; each spec is stamped with its layer's source. */
function layered<T extends { name: string; source: AgentSource }>(
  layers: readonly [readonly T[], AgentSource | undefined][],
): Map<string, T> {
  const byName = new Map<string, T>();
  for (const [specs, source] of layers) {
    for (const spec of specs) byName.set(spec.name, source ? { ...spec, source } : spec);
  }
  return byName;
}

function sortedValues<T extends { name: string }>(map: Map<string, T>): T[] {
  return [...map.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Builds the registry from the built-in fleet and teams plus the cluster and repository layers. */
export function createAgentRegistry(options: AgentRegistryOptions): AgentRegistry {
  const agents = layered<AgentSpec>([
    [BUILTIN_AGENTS, undefined],
    [options.extra ?? [], "cluster"],
    [options.repoAgents ?? [], "repo"],
  ]);
  const teams = layered<TeamSpec>([
    [BUILTIN_TEAMS, undefined],
    [options.teams ?? [], "cluster"],
    [options.repoTeams ?? [], "repo"],
  ]);

  // What a repository agent may narrow: the egress of the cluster's (or built-in) agent of its name.
  const clusterAgents = layered<AgentSpec>([
    [BUILTIN_AGENTS, undefined],
    [options.extra ?? [], "cluster"],
  ]);
  const egressOf = (spec: AgentSpec): string[] => {
    if (spec.source !== "repo") return [...spec.egress];
    const allowed = clusterAgents.get(spec.name)?.egress ?? [];
    return spec.egress.filter((host) => allowed.includes(host));
  };

  const resolve = (name: string): ResolvedAgent => {
    const spec = agents.get(name);
    if (!spec) {
      const names = [...agents.keys()].sort().join(", ");
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
      tools: [...spec.tools],
      maxTurns: spec.maxTurns,
      prompt: spec.prompt,
      egress: egressOf(spec),
    };
  };

  return {
    list: () => sortedValues(agents),
    get: (name) => agents.get(name),
    resolve,
    listTeams: () => sortedValues(teams),
    resolveTeam(name) {
      const team = teams.get(name);
      if (!team) {
        const names = [...teams.keys()].sort().join(", ") || "none";
        throw new PanCodeError("NOT_FOUND", `unknown team "${name}"; available teams: ${names}`);
      }
      const missing = team.agents.filter((a) => !agents.has(a));
      if (missing.length > 0) {
        throw new PanCodeError(
          "UNKNOWN_AGENT",
          `team "${name}" names unknown agent(s) ${missing.map((m) => `"${m}"`).join(", ")}; available agents: ${[...agents.keys()].sort().join(", ")}`,
        );
      }
      return { name: team.name, description: team.description, source: team.source, agents: team.agents.map(resolve) };
    },
    withRepository(layer) {
      return createAgentRegistry({
        ...options,
        repoAgents: [...(options.repoAgents ?? []), ...(layer.agents ?? [])],
        repoTeams: [...(options.repoTeams ?? []), ...(layer.teams ?? [])],
      });
    },
  };
}
