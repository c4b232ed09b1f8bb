import { join } from "node:path";
import { type ClusterConfig, type LoadedDefinitions, loadAgentsDir, loadClusterConfig } from "@pancode/agents";
import type { Logger } from "@pancode/telemetry";
import type { CoordinatorConfig } from "../config.js";
import { ensurePrivateDir } from "../private-dir.js";
import { resolveServerTls, type ServerTls } from "../tls/server-tls.js";
import { CLIENT_TOKEN_FILE, RUN_TOKEN_SECRET_FILE, resolveToken, WORKER_TOKEN_FILE } from "../tokens.js";

/** What the coordinator reads from disk before it opens anything: secrets, TLS, the cluster config and agents. */
export interface StartSetup {
  clientToken: string;
  workerToken: string;
  runTokenSecret: string;
  tls: ServerTls;
  cluster: ClusterConfig;
  clusterAgents: LoadedDefinitions;
}

/**
 * Makes the data dir private and reads everything that is a deployment error when wrong (a certificate that cannot
 * be made, a broken cluster config, a missing agents directory), before any store is opened.
 */
export async function prepareStart(config: CoordinatorConfig, logger: Logger): Promise<StartSetup> {
  // Owner-only data: tokens, keys, blobs and the embedded database (existing dirs of older versions are tightened).
  await ensurePrivateDir(config.dataDir);
  await ensurePrivateDir(join(config.dataDir, "blobs"));
  if (!config.db.url) await ensurePrivateDir(join(config.dataDir, "pglite"));
  const clientToken = await resolveToken(config.auth.clientToken, config.dataDir, CLIENT_TOKEN_FILE);
  const workerToken = await resolveToken(config.auth.workerToken, config.dataDir, WORKER_TOKEN_FILE);
  const runTokenSecret = await resolveToken(config.auth.runTokenSecret, config.dataDir, RUN_TOKEN_SECRET_FILE);
  const tls = await resolveServerTls(
    { listen: config.grpc.listen, dataDir: config.dataDir, ...config.grpc.tls },
    logger,
  );
  const cluster = await loadClusterConfig(config.agents.configPath || undefined);
  const agentsDir = config.agents.agentsDir || cluster.agentsDir || "";
  const clusterAgents: LoadedDefinitions = agentsDir
    ? await loadAgentsDir(agentsDir)
    : { agents: [], teams: [], errors: [] };
  for (const e of clusterAgents.errors) {
    logger.warn("cluster agent file ignored", { path: e.path, field: e.field, problem: e.problem });
  }
  return { clientToken, workerToken, runTokenSecret, tls, cluster, clusterAgents };
}
