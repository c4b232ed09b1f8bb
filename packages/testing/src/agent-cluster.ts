/**
 * A cluster set up for real agent CLIs against the scripted model server: a cluster config declaring the scripted
 * providers and one worker holding the scripted API key. Agent containers keep network none: the worker's model
 * proxy reaches the model server on 127.0.0.1 for them. Shared by the agent end-to-end tests.
 *
 * ```ts
 * const agents = await startAgentCluster({
 *   providers: [{ name: "scripted", api: "openai-completions", baseUrl: models.openaiBaseUrl, models: [{ id: "writer" }] }],
 *   defaultModel: "scripted/writer",
 *   apiKey: "sk-test",
 * });
 * const events = await agentEvents(agents.cluster, repo.dir, runId);
 * ```
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Cluster, startCluster } from "./cluster.js";

/** The variable holding the scripted provider's key on the worker. */
export const SCRIPTED_KEY_ENV = "SCRIPTED_API_KEY";

/** One provider of the scripted model server, as the cluster config declares it. */
export interface ScriptedProvider {
  name: string;
  api: "openai-completions" | "anthropic-messages" | "google" | "openai-responses";
  baseUrl: string;
  models: { id: string; price?: { input: number; output: number; cacheRead?: number; cacheWrite?: number } }[];
}

/** A started agent cluster and how to stop it (cluster first, then its config). */
export interface AgentCluster {
  cluster: Cluster;
  stop(): Promise<void>;
}

/** Writes the cluster config (JSON, which is YAML) and starts the workers (one by default) holding `apiKey`. */
export async function startAgentCluster(options: {
  providers: ScriptedProvider[];
  defaultModel: string;
  apiKey: string;
  /** Extra coordinator environment (e.g. PANCODE_PER_RUN_BUDGET). */
  coordinatorEnv?: Record<string, string>;
  /** Extra environment of every worker. */
  workerEnv?: Record<string, string>;
  /** Worker processes, each holding `apiKey`. @default 1 */
  workers?: number;
}): Promise<AgentCluster> {
  const dir = await mkdtemp(join(tmpdir(), "pancode-agent-cluster-"));
  const config = {
    providers: options.providers.map((p) => ({ ...p, apiKeyEnv: SCRIPTED_KEY_ENV })),
    defaultModel: options.defaultModel,
  };
  await writeFile(join(dir, "cluster.yaml"), JSON.stringify(config, null, 2));
  const shared = { PANCODE_CONFIG: join(dir, "cluster.yaml") };
  const cluster = await startCluster({
    workers: options.workers ?? 1,
    postgres: false,
    coordinatorEnv: { ...shared, ...options.coordinatorEnv },
    workerEnv: { ...shared, [SCRIPTED_KEY_ENV]: options.apiKey, ...options.workerEnv },
  });
  return {
    cluster,
    async stop() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The normalised agent events of a run, in order, read through `pancode logs --json`. */
export async function agentEvents(cluster: Cluster, cwd: string, runId: string): Promise<Record<string, unknown>[]> {
  const logs = await cluster.cli(["logs", runId, "--json"], { cwd });
  return (JSON.parse(logs.stdout).events as { kind: string; text: string }[])
    .filter((e) => e.kind === "agent")
    .map((e) => JSON.parse(e.text) as Record<string, unknown>);
}
