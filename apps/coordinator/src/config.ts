import { homedir } from "node:os";
import { join } from "node:path";
import { SANDBOX_CAPS_ENV, sandboxCapsOf } from "@pancode/agents";
import { BoolEnv, ListenAddressEnv, OptionalStringEnv, PositiveIntEnv, parseConfig } from "@pancode/config";
import { z } from "zod";

/**
 * Environment of the coordinator, parsed once by the service host (@pancode/server). Every variable documents its unit
 * and why its default was chosen.
 */
const CoordinatorEnv = z.object({
  /** host:port of the gRPC server. Loopback by default: exposing it is a deliberate choice (compose sets 0.0.0.0). */
  PANCODE_LISTEN: z.string().default("127.0.0.1:7400"),
  /** Postgres URL. Unset: embedded PGlite under the data dir, same migrations. */
  DATABASE_URL: OptionalStringEnv,
  /**
   * NATS URL with JetStream; several comma-separated for the nodes of a NATS cluster. Unset: the in-process bus
   * (single machine only).
   */
  NATS_URL: OptionalStringEnv,
  /** State directory: blobs, embedded database, generated tokens. */
  PANCODE_DATA_DIR: z.string().default(join(homedir(), ".pancode")),
  /** Bearer token of clients. Unset: read or create `<data dir>/client.token`. */
  PANCODE_TOKEN: OptionalStringEnv,
  /** Bearer token of workers. Unset: read or create `<data dir>/worker.token`. */
  PANCODE_WORKER_TOKEN: OptionalStringEnv,
  /**
   * TLS certificate and key (PEM paths). Both unset: plaintext on loopback; off loopback a CA and server certificate
   * generated in `<data dir>/tls` (clients trust `ca.crt`).
   */
  PANCODE_TLS_CERT: OptionalStringEnv,
  PANCODE_TLS_KEY: OptionalStringEnv,
  /** Extra names (DNS or IP, comma-separated) of the generated server certificate, e.g. the address clients dial. */
  PANCODE_TLS_SANS: OptionalStringEnv,
  /** Serve plaintext off loopback anyway (a network that is already encrypted); logged as a warning at start. */
  PANCODE_INSECURE_PLAINTEXT: BoolEnv.default(false),
  /**
   * Copies of the JetStream task stream (its pool consumers inherit the count): 1 for one NATS server, 3 for a
   * 3-node cluster. An existing stream is scaled to it when the coordinator starts.
   */
  PANCODE_JETSTREAM_REPLICAS: PositiveIntEnv.default(1),
  /** NATS user and password of the coordinator (the server's `coordinator` user). Unset: no NATS authentication. */
  NATS_USER: OptionalStringEnv,
  NATS_PASSWORD: OptionalStringEnv,
  /** Image of agents that do not name one. Built offline by deploy/images/build-images.sh. */
  PANCODE_AGENT_IMAGE: z.string().default("pancode/agent:dev"),
  /** Agent used when a dispatch names none (the seed's default). */
  PANCODE_DEFAULT_AGENT: z.string().default("dev"),
  /** Cluster agents (`*.md`) and teams (`*.yaml`), read at start-up. Unset: built-ins plus repository agents only. */
  PANCODE_AGENTS_DIR: OptionalStringEnv,
  /** Cluster config (YAML): providers, models, prices, default model. Unset: no providers, so only plain commands. */
  PANCODE_CONFIG: OptionalStringEnv,
  /** Largest workspace part (bundle or uncommitted state) accepted, in bytes. 512 MiB covers large monorepos. */
  PANCODE_MAX_WORKSPACE_BYTES: PositiveIntEnv.default(512 * 1024 * 1024),
  /** How long a run's lease lives without a worker heartbeat, in ms. 30 s tolerates GC pauses and slow links. */
  PANCODE_LEASE_MS: PositiveIntEnv.default(30_000),
  /** Interval of worker heartbeats the coordinator asks for, in ms (a third of the lease). */
  PANCODE_HEARTBEAT_MS: PositiveIntEnv.default(10_000),
  /** Attempts of one run before a lost worker ends it `error` (redelivery beyond that would loop). */
  PANCODE_MAX_ATTEMPTS: PositiveIntEnv.default(3),
  /** Bus ack wait, in ms: a delivery without progress for this long goes to another worker. */
  PANCODE_ACK_WAIT_MS: PositiveIntEnv.default(30_000),
  /**
   * Deliveries of one bus message before the bus gives up on it. Above the attempt cap because a delivery that finds
   * its run busy elsewhere is retried without starting an attempt. Must match the workers'.
   */
  PANCODE_MAX_DELIVER: PositiveIntEnv.default(10),
  /**
   * Pause between passes of the publish reconciler, in ms: how soon a run admitted while NATS was down, or whose
   * message was dropped or lost with the stream, is (re)published. 5 s keeps the look-ups cheap.
   */
  PANCODE_RECONCILE_INTERVAL_MS: PositiveIntEnv.default(5_000),
  /**
   * A pending run that has had no task message on the bus for this long (NATS away, not a publish hold) ends
   * `error` with the reason, in ms. 30 min outlasts a NATS restart or upgrade by far.
   */
  PANCODE_UNDELIVERABLE_AFTER_MS: PositiveIntEnv.default(1_800_000),
  /**
   * A pending run's message that was delivered and then went unclaimed this long, in ms, is taken for stuck after its
   * max deliveries (the coordinator missed JetStream's advisory) and replaced. 2 min: four default ack waits, so a
   * requeued run's ordinary redelivery is never mistaken for it.
   */
  PANCODE_REDELIVERY_STALL_MS: PositiveIntEnv.default(120_000),
  /** A run whose task message was lost (dropped after max deliveries, lost with the stream) more often ends `error`. */
  PANCODE_MAX_REPUBLISHES: PositiveIntEnv.default(5),
  /** On drain, how long running runs may finish before they are interrupted, in ms. */
  PANCODE_DRAIN_GRACE_MS: PositiveIntEnv.default(30_000),
  /**
   * Cluster-wide spend ceiling in USD. Applied when the budget is created (first start) only; later changes are made
   * with `pancode budget set` and persist in the database. 10 USD keeps an unconfigured cluster cheap.
   */
  PANCODE_BUDGET_CEILING: z.coerce.number().positive().default(10),
  /** Per-run cost cap in USD (0 = none); also the estimate of an agent that never ran. */
  PANCODE_PER_RUN_BUDGET: z.coerce.number().nonnegative().default(0),
  /**
   * Deepest nesting of runs dispatched by runs (client submissions are depth 0). 2 lets an agent delegate and its
   * helper delegate once more, which covers orchestrator patterns without letting recursion run away.
   */
  PANCODE_DISPATCH_MAX_DEPTH: z.coerce.number().int().nonnegative().default(2),
  ...SANDBOX_CAPS_ENV,
  /**
   * Sub-runs one tree of runs may start in total, all depths together (a root run, its sub-runs and theirs): 8 lets an
   * orchestrator fan out to a team; a runaway loop of dispatches stops there.
   */
  PANCODE_MAX_SUBRUNS: z.coerce.number().int().nonnegative().default(8),
  /** Secret that run tokens are an HMAC of. Unset: read or create `<data dir>/run-token.secret`. */
  PANCODE_RUN_TOKEN_SECRET: OptionalStringEnv,
  /** Failures of one agent on one task (within the window) after which admission warns. */
  PANCODE_LOOP_WARN: PositiveIntEnv.default(3),
  /** Failures of one agent on one task (within the window) after which admission refuses. */
  PANCODE_LOOP_REFUSE: PositiveIntEnv.default(5),
  /** Window of loop detection in ms; 10 min, the seed's cooldown: older failures are forgiven. */
  PANCODE_LOOP_WINDOW_MS: PositiveIntEnv.default(600_000),
  /**
   * Where blobs (workspaces, patches, logs) are kept: `postgres` (shared by every coordinator replica; the default
   * with DATABASE_URL), `s3://bucket/prefix` (an S3-compatible store, shared; endpoint and keys from AWS_* variables)
   * or `file` (under the data dir; the default with the embedded database, one coordinator only).
   */
  PANCODE_BLOB_STORE: z
    .string()
    .regex(/^(postgres|file|s3:\/\/[^/]+.*)$/, "expected postgres, file or s3://bucket[/prefix]")
    .optional(),
  /**
   * How long a coordinator replica's ownership of a batch or chain lasts without renewal, in ms: the time another
   * replica waits before taking over a dead one's groups. 15 s is several renewals (every 2 s) of slack.
   */
  PANCODE_GROUP_LEASE_MS: PositiveIntEnv.default(15_000),
  /** host:port of the ops listener: Prometheus `/metrics`, `/healthz`, `/readyz`. Unset: none. */
  PANCODE_METRICS_LISTEN: ListenAddressEnv,
  /**
   * host:port of the web console and its HTTP API (`/api/v1`, docs/http-api.md). Unset: off. TLS as the gRPC
   * listener's when that serves TLS. `pancode up` turns it on at 127.0.0.1:7701.
   */
  PANCODE_CONSOLE_LISTEN: ListenAddressEnv,
  /** Directory of the console's built assets. Unset: what @pancode/console ships. */
  PANCODE_CONSOLE_ASSETS: OptionalStringEnv,
  PANCODE_LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
});

/** The coordinator's configuration, grouped so each component receives only its slice. */
export const CoordinatorConfig = CoordinatorEnv.transform((env) => ({
  dataDir: env.PANCODE_DATA_DIR,
  logLevel: env.PANCODE_LOG_LEVEL,
  grpc: {
    listen: env.PANCODE_LISTEN,
    tls: {
      certPath: env.PANCODE_TLS_CERT,
      keyPath: env.PANCODE_TLS_KEY,
      extraNames: env.PANCODE_TLS_SANS.split(",")
        .map((name) => name.trim())
        .filter(Boolean),
      insecurePlaintext: env.PANCODE_INSECURE_PLAINTEXT,
    },
  },
  auth: {
    clientToken: env.PANCODE_TOKEN,
    workerToken: env.PANCODE_WORKER_TOKEN,
    runTokenSecret: env.PANCODE_RUN_TOKEN_SECRET,
  },
  db: { url: env.DATABASE_URL },
  blobStore: env.PANCODE_BLOB_STORE ?? (env.DATABASE_URL ? "postgres" : "file"),
  orchestration: { groupLeaseMs: env.PANCODE_GROUP_LEASE_MS },
  metrics: { listen: env.PANCODE_METRICS_LISTEN },
  console: { listen: env.PANCODE_CONSOLE_LISTEN, assetsDir: env.PANCODE_CONSOLE_ASSETS },
  bus: {
    natsUrl: env.NATS_URL,
    natsUser: env.NATS_USER,
    natsPassword: env.NATS_PASSWORD,
    replicas: env.PANCODE_JETSTREAM_REPLICAS,
    ackWaitMs: env.PANCODE_ACK_WAIT_MS,
    maxDeliver: env.PANCODE_MAX_DELIVER,
  },
  agents: {
    defaultImage: env.PANCODE_AGENT_IMAGE,
    defaultAgent: env.PANCODE_DEFAULT_AGENT,
    agentsDir: env.PANCODE_AGENTS_DIR,
    configPath: env.PANCODE_CONFIG,
  },
  safety: {
    maxDepth: env.PANCODE_DISPATCH_MAX_DEPTH,
    maxSubRuns: env.PANCODE_MAX_SUBRUNS,
    loop: { warnAt: env.PANCODE_LOOP_WARN, refuseAt: env.PANCODE_LOOP_REFUSE, windowMs: env.PANCODE_LOOP_WINDOW_MS },
  },
  caps: sandboxCapsOf(env),
  budget: { ceilingUsd: env.PANCODE_BUDGET_CEILING, perRunUsd: env.PANCODE_PER_RUN_BUDGET },
  runs: {
    maxWorkspaceBytes: env.PANCODE_MAX_WORKSPACE_BYTES,
    leaseMs: env.PANCODE_LEASE_MS,
    heartbeatMs: env.PANCODE_HEARTBEAT_MS,
    maxAttempts: env.PANCODE_MAX_ATTEMPTS,
    drainGraceMs: env.PANCODE_DRAIN_GRACE_MS,
  },
  publishing: {
    reconcileIntervalMs: env.PANCODE_RECONCILE_INTERVAL_MS,
    undeliverableAfterMs: env.PANCODE_UNDELIVERABLE_AFTER_MS,
    maxRepublishes: env.PANCODE_MAX_REPUBLISHES,
    stallAfterMs: env.PANCODE_REDELIVERY_STALL_MS,
  },
}));
export type CoordinatorConfig = z.infer<typeof CoordinatorConfig>;

/** Parses the coordinator's environment; throws ConfigError listing every problem. */
export function loadCoordinatorConfig(env: Record<string, string | undefined>): CoordinatorConfig {
  return parseConfig(CoordinatorConfig, env);
}
