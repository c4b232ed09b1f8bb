import { z } from "zod";
import { ModelTarget } from "./model-target.js";

/** Resource limits of one run's sandbox. */
export const SandboxLimits = z.object({
  /** Memory ceiling in MiB. */
  memoryMb: z.number().int().positive(),
  /** CPU share in cores (fractions allowed). */
  cpus: z.number().positive(),
  /** Maximum number of processes inside the sandbox (fork-bomb guard). */
  pids: z.number().int().positive(),
});
export type SandboxLimits = z.infer<typeof SandboxLimits>;

/** Container network of a run. `none` is the default; `host` serves machines without bridge networks. */
export const NetworkPolicy = z.enum(["none", "host", "bridge"]);
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;

/** Where a run's starting state comes from: a commit of a repository plus the submitter's uncommitted delta. */
export const WorkspaceRef = z.object({
  /** Stable id of the repository: the sha of its first root commit. */
  repoId: z.string().min(1),
  baseCommit: z.string().regex(/^[0-9a-f]{40}$/),
  /** Digest of a git bundle holding `baseCommit`, or empty when the coordinator already had it. */
  bundleDigest: z.string(),
  /** Digest of the binary diff from `baseCommit` to the submitted working state (empty patch when clean). */
  stateDigest: z.string(),
  /** Tree id of the submitted working state, as computed by the client (the merge base of merge-back). */
  stateTree: z.string().regex(/^[0-9a-f]{40}$/),
});
export type WorkspaceRef = z.infer<typeof WorkspaceRef>;

/** The agent part of a run spec, fully resolved by the coordinator so workers need no registry of their own. */
export const ResolvedAgent = z.object({
  name: z.string(),
  runtime: z.string(),
  image: z.string(),
  readonly: z.boolean(),
  timeoutMs: z.number().int().positive(),
  limits: SandboxLimits,
  network: NetworkPolicy,
  model: z.string().default(""),
  /** Tool names the runtime allows (Pi's vocabulary: read, bash, edit, write, grep, find, ls); [] = runtime default. */
  tools: z.array(z.string()).default([]),
  /** Turn limit of the agent's loop; 0 = the runtime's default. */
  maxTurns: z.number().int().nonnegative().default(0),
  /** System prompt given to the agent on top of its runtime's own; "" = none. */
  prompt: z.string().default(""),
  /** Hosts (`host:port`) the run's model proxy tunnels to (HTTP CONNECT); [] = no egress beyond the model. */
  egress: z.array(z.string()).default([]),
});
export type ResolvedAgent = z.infer<typeof ResolvedAgent>;

/** Everything a worker needs to execute one attempt of a run; handed out when the worker claims the run. */
export const RunSpec = z.object({
  runId: z.string(),
  attempt: z.number().int().positive(),
  /** Secret for this attempt: every later call of the worker about this run must present it. */
  leaseToken: z.string(),
  task: z.string(),
  agent: ResolvedAgent,
  workspace: WorkspaceRef,
  traceparent: z.string().default(""),
  /** The run's model; null for runtimes that need none. */
  model: ModelTarget.nullable().default(null),
  /** Per-run cost cap in USD: the worker stops the run once its reported cost passes it. 0 = no cap. */
  maxCostUsd: z.number().nonnegative().default(0),
  /**
   * Patches (digests) applied in order on top of the workspace before the agent starts: the earlier steps of a
   * chain. The run's own patch is relative to the result.
   */
  basePatches: z.array(z.string()).default([]),
});
export type RunSpec = z.infer<typeof RunSpec>;
