import { NetworkPolicy, SandboxLimits } from "@pancode/core";
import { z } from "zod";

/** Sandbox limits of an agent unless it says otherwise: enough for `npm test` of a mid-sized repo. */
export const DEFAULT_LIMITS: SandboxLimits = { memoryMb: 2048, cpus: 1, pids: 512 };

/** Default per-run timeout: 300 s, as the original PanCode's worker timeout. */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** One agent of the fleet: who it is, which runtime drives it, and how its sandbox is shaped. */
export const AgentSpec = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, starting with a letter"),
  description: z.string().default(""),
  runtime: z.string().min(1),
  /** provider/id, or "" for the cluster default (runtimes that need no model ignore it). */
  model: z.string().default(""),
  /** Container image; "" means the cluster's agent image. */
  image: z.string().default(""),
  readonly: z.boolean().default(false),
  timeoutMs: z.number().int().positive().default(DEFAULT_TIMEOUT_MS),
  limits: SandboxLimits.default(DEFAULT_LIMITS),
  network: NetworkPolicy.default("none"),
  /** Where the spec came from: builtin, cluster, or repo. */
  source: z.string().default("builtin"),
});
export type AgentSpec = z.infer<typeof AgentSpec>;
