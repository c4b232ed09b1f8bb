import { homedir } from "node:os";
import { join } from "node:path";
import { SANDBOX_CAPS_ENV, sandboxCapsOf } from "@pancode/agents";
import { ListenAddressEnv, OptionalStringEnv, PositiveIntEnv, parseConfig } from "@pancode/config";
import { z } from "zod";

/** Environment of a worker node, parsed once by the service host (@pancode/server). */
const WorkerEnv = z.object({
  /** Coordinator address (host:port). */
  PANCODE_COORDINATOR: z.string().default("127.0.0.1:7400"),
  /** Worker bearer token. Unset: read `<data dir>/worker.token` (a local `pancode up` cluster writes it). */
  PANCODE_WORKER_TOKEN: OptionalStringEnv,
  /** CA certificate (PEM path) to reach a coordinator over TLS; empty = plaintext. */
  PANCODE_TLS_CA: OptionalStringEnv,
  /**
   * Stable id of this worker. Unset: `<host>-<n>`, the lowest slot of this host and data dir no live worker holds
   * (see worker-id.ts), so a restarted worker keeps its id, its outbox's outcomes and its signing key.
   */
  PANCODE_WORKER_ID: OptionalStringEnv,
  /** Runs executed at once. 4 keeps a 2-core node busy without thrashing on `npm test`-sized tasks. */
  PANCODE_WORKER_CONCURRENCY: PositiveIntEnv.default(4),
  /** Pool (bus subject) this worker serves. */
  PANCODE_POOL: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default("default"),
  /** Sandbox: docker (one container per run) or process (plain subprocess; no isolation, for machines without Docker). */
  PANCODE_SANDBOX: z.enum(["docker", "process"]).default("docker"),
  /**
   * Started containers each worker keeps waiting for runs of the latest run's profile (image, limits, mounts), so a
   * run skips container creation and start. 0 = off. Docker sandbox only.
   */
  PANCODE_WARM_POOL_SIZE: z.coerce.number().int().min(0).max(16).default(2),
  /** Docker engine socket. */
  PANCODE_DOCKER_SOCKET: z.string().default("/var/run/docker.sock"),
  /** The cluster's agent image (same as the coordinator's): its labels say which agent CLIs this worker can run. */
  PANCODE_AGENT_IMAGE: z.string().default("pancode/agent:dev"),
  /**
   * Network for agents that declare egress themselves (`network: bridge|host`): host serves machines where bridge
   * networks are not allowed. Coding agents and nested dispatch need none: they reach their model proxy and the
   * coordinator through their run's sockets.
   */
  PANCODE_AGENT_NETWORK: z.enum(["", "bridge", "host"]).default(""),
  /** NATS URL with JetStream; unset = in-process bus (only inside `pancode up`). */
  NATS_URL: OptionalStringEnv,
  /** NATS user and password of workers (the server's `worker` user: consume tasks, receive control messages). */
  NATS_USER: OptionalStringEnv,
  NATS_PASSWORD: OptionalStringEnv,
  /** Bus ack wait in ms; the worker signals progress at a third of it. Must match the coordinator's. */
  PANCODE_ACK_WAIT_MS: PositiveIntEnv.default(30_000),
  /** Deliveries of one bus message before the bus gives up on it; must match the coordinator's. */
  PANCODE_MAX_DELIVER: PositiveIntEnv.default(10),
  /** Cluster config (YAML) shared with the coordinator: which providers exist and which key variable each needs. */
  PANCODE_CONFIG: OptionalStringEnv,
  /** Zero-config workers re-probe local model engines (Ollama, LM Studio, llama.cpp) this often, in ms. */
  PANCODE_MODEL_PROBE_MS: PositiveIntEnv.default(60_000),
  /** Where mirrors and worktrees live. */
  PANCODE_DATA_DIR: z.string().default(join(homedir(), ".pancode")),
  ...SANDBOX_CAPS_ENV,
  /** How often buffered output is sent to the coordinator, in ms: live enough for `logs --follow`, cheap enough. */
  PANCODE_EVENT_FLUSH_MS: PositiveIntEnv.default(200),
  /**
   * Directory of the pancode client bundle (pancode.mjs) lent read-only to runs for nested dispatch. The service host
   * (@pancode/server) sets it to the bundle the installed @pancode/cli publishes; empty = no nested dispatch.
   */
  PANCODE_CLIENT_DIR: OptionalStringEnv,
  /** host:port of the ops listener: Prometheus `/metrics`, `/healthz`, `/readyz`. Unset: none. */
  PANCODE_METRICS_LISTEN: ListenAddressEnv,
  PANCODE_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
});

/** A worker's configuration, grouped by the component that uses each slice. */
export const WorkerConfig = WorkerEnv.transform((env) => ({
  id: env.PANCODE_WORKER_ID,
  pool: env.PANCODE_POOL,
  concurrency: env.PANCODE_WORKER_CONCURRENCY,
  dataDir: env.PANCODE_DATA_DIR,
  configPath: env.PANCODE_CONFIG,
  modelProbeMs: env.PANCODE_MODEL_PROBE_MS,
  logLevel: env.PANCODE_LOG_LEVEL,
  metrics: { listen: env.PANCODE_METRICS_LISTEN },
  coordinator: { address: env.PANCODE_COORDINATOR, token: env.PANCODE_WORKER_TOKEN, caPath: env.PANCODE_TLS_CA },
  sandbox: {
    kind: env.PANCODE_SANDBOX,
    socketPath: env.PANCODE_DOCKER_SOCKET,
    agentNetwork: env.PANCODE_AGENT_NETWORK,
    agentImage: env.PANCODE_AGENT_IMAGE,
    clientDir: env.PANCODE_CLIENT_DIR,
    warmPoolSize: env.PANCODE_WARM_POOL_SIZE,
  },
  bus: {
    natsUrl: env.NATS_URL,
    natsUser: env.NATS_USER,
    natsPassword: env.NATS_PASSWORD,
    ackWaitMs: env.PANCODE_ACK_WAIT_MS,
    maxDeliver: env.PANCODE_MAX_DELIVER,
  },
  events: { flushMs: env.PANCODE_EVENT_FLUSH_MS },
  caps: sandboxCapsOf(env),
}));
export type WorkerConfig = z.infer<typeof WorkerConfig>;

/** Parses a worker's environment; throws ConfigError listing every problem. */
export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  return parseConfig(WorkerConfig, env);
}
