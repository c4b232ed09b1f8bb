import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PanCodeError } from "@pancode/core";
import { clientCredentials, createWorkerApi, type WorkerApi } from "@pancode/proto";
import { loadOrCreateSigningKey, type SigningKey } from "@pancode/receipts";
import type { WorkerConfig } from "./config.js";
import type { ModelAccess } from "./model-discovery.js";

/** What a worker registers with: who it is and what it can run; `access` may change (the model probe). */
export interface RegistrationFacts {
  version: string;
  sandbox: "docker" | "process";
  runtimes: string[];
  access: () => ModelAccess;
}

/** A worker's link to the coordinator: the API client, the receipt key, and (re-)registration. */
export interface WorkerSession {
  api: WorkerApi;
  signingKey: SigningKey;
  /** Registers (again) with the current capabilities and model offers. */
  register(): ReturnType<WorkerApi["register"]>;
}

async function workerToken(config: WorkerConfig): Promise<string> {
  if (config.coordinator.token) return config.coordinator.token;
  try {
    return (await readFile(join(config.dataDir, "worker.token"), "utf8")).trim();
  } catch (err) {
    throw new PanCodeError(
      "UNAUTHENTICATED",
      `no worker token: set PANCODE_WORKER_TOKEN, or PANCODE_DATA_DIR to a data dir holding worker.token`,
      { cause: err },
    );
  }
}

/** Opens the coordinator client and loads (or makes) the worker's receipt-signing key; nothing is sent yet. */
export async function openSession(config: WorkerConfig, facts: RegistrationFacts): Promise<WorkerSession> {
  const api = createWorkerApi({
    address: config.coordinator.address,
    token: await workerToken(config),
    credentials: clientCredentials({ tls: false, caPath: config.coordinator.caPath }),
  });
  // The receipt-signing key lives in the worker's data dir (never under the worktrees mounted into containers).
  const signingKey = await loadOrCreateSigningKey(join(config.dataDir, "keys", `worker-${config.id}.pem`));
  const register = () => {
    const access = facts.access();
    return api.register(
      {
        workerId: config.id,
        pool: config.pool,
        sandbox: facts.sandbox,
        capacity: config.concurrency,
        version: facts.version,
        runtimes: facts.runtimes,
        providers: access.providers,
        publicKeyPem: signingKey.publicKeyPem,
        offers: access.offers,
      },
      signingKey.privateKey,
    );
  };
  return { api, signingKey, register };
}
