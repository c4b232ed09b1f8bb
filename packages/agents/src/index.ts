/**
 * @pancode/agents: the agent fleet (specs, registry) and the runtime adapters that start each agent CLI.
 *
 * ```ts
 * const registry = createAgentRegistry({ defaultImage: "pancode/agent:dev" });
 * const agent = registry.resolve("shell");
 * const { argv } = getRuntime(agent.runtime).buildInvocation({ task: "npm test", agent });
 *
 * // Repository agents (.pancode/agents/*.md) and teams (.pancode/teams/*.yaml) layered on top for one dispatch:
 * const repo = loadDefinitionFiles(files, "repo"); // { agents, teams, errors: [{ path, field, message }] }
 * const forRun = registry.withRepository(repo);
 *
 * // Models from the cluster config (PANCODE_CONFIG):
 * const config = await loadClusterConfig(process.env.PANCODE_CONFIG);
 * const model = resolveModel(config, agent.model); // provider/id, alias, or "" for the default
 * const usd = costOf(model.price, { input: 1200, output: 300 });
 * ```
 */
export { type AgentFileInput, loadAgentFiles, MAX_AGENT_FILE_BYTES, parseAgentFile } from "./agent-file.js";
export {
  type LoadedDefinitions,
  loadAgentsDir,
  loadDefinitionFiles,
  MAX_DEFINITION_FILES,
} from "./agent-files-dir.js";
export {
  type AgentRegistry,
  type AgentRegistryOptions,
  createAgentRegistry,
  type ResolvedTeam,
} from "./agent-registry.js";
export type { AgentInvocation, AgentRuntime, OutputParser } from "./agent-runtime.js";
export {
  AgentName,
  AgentSource,
  AgentSpec,
  AgentTool,
  ALL_TOOLS,
  DEFAULT_AGENT,
  DEFAULT_LIMITS,
  DEFAULT_MAX_TURNS,
  DEFAULT_TIMEOUT_MS,
  EgressHost,
  MAX_TIMEOUT_MS,
  READONLY_TOOLS,
  WRITE_TOOLS,
} from "./agent-spec.js";
export { BUILTIN_AGENTS } from "./builtin-agents.js";
export {
  ClusterConfig,
  DEFAULT_BASE_URLS,
  DEFAULT_CLUSTER_CONFIG,
  loadClusterConfig,
  ModelApi,
  ModelPrice,
  ProviderConfig,
  ProviderModel,
  parseClusterConfig,
} from "./cluster-config.js";
export { parseDuration } from "./duration.js";
export { checkMovedEndpoints, listEndpointModels, parseGeminiModels } from "./endpoint-models.js";
export { type AgentFileError, fileError } from "./file-errors.js";
export {
  engineAddress,
  engineRoot,
  LOCAL_ENGINES,
  type LocalEngine,
  localProvider,
  type ProbeResult,
  parseOllamaTags,
  parseOpenAiModels,
  probeEngine,
  probeLocalEngines,
} from "./local-engines.js";
export {
  BUILTIN_CATALOGUE_PATH,
  builtinCatalogue,
  CatalogueProvider,
  ModelCatalogue,
  parseCatalogue,
} from "./model-catalogue.js";
export { costOf, modelRefs, type ResolvedModel, resolveModel, type TokenCounts } from "./model-resolver.js";
export {
  type Discovered,
  declareHint,
  discoveredCluster,
  type ProviderProblem,
  preferredModel,
  providerPreference,
  providersFromEnv,
  type WorkerOffer,
  withLocalEngines,
} from "./provider-discovery.js";
export { type ProviderAccess, providerAccess } from "./provider-secrets.js";
export { getRuntime, runtimeNames } from "./runtime-registry.js";
export { createPiParser } from "./runtimes/pi-events.js";
export { piModelsJson } from "./runtimes/pi-runtime.js";
export {
  CAP_VARIABLES,
  capViolations,
  DEFAULT_CAPS,
  homeTmpfsMb,
  type SandboxCaps,
} from "./sandbox-caps.js";
export { SANDBOX_CAPS_ENV, sandboxCapsOf } from "./sandbox-caps-env.js";
export { loadTeamFiles } from "./team-file.js";
export { BUILTIN_TEAMS, TeamSpec } from "./team-spec.js";
