import { NetworkPolicy, SandboxLimits } from "@pancode/core";
import { z } from "zod";

/** Sandbox limits of an agent unless it says otherwise: enough for `npm test` of a mid-sized repo. */
export const DEFAULT_LIMITS: SandboxLimits = { memoryMb: 2048, cpus: 1, pids: 512 };

/** Default per-run timeout: 300 s, as the original PanCode's worker timeout. */
export const DEFAULT_TIMEOUT_MS = 300_000;

/** Longest timeout an agent may ask for (24 h): a run longer than a day is a mistake, not a plan. */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Turn limit of agents that do not name one (the original loader's default). */
export const DEFAULT_MAX_TURNS = 20;

/** The agent used when a dispatch names none. Unlike the original PanCode, it exists. */
export const DEFAULT_AGENT = "dev";

/**
 * Tool names agents may list, in Pi's vocabulary; every runtime adapter maps them onto its CLI's own names
 * (e.g. Claude Code's Read, Bash). A closed set, so a typo is an error instead of a silently missing tool.
 */
export const AgentTool = z.enum(["read", "bash", "edit", "write", "grep", "find", "ls"]);
export type AgentTool = z.infer<typeof AgentTool>;

/** Tools that change files. Read-only agents may not list them (their worktree is mounted read-only anyway). */
export const WRITE_TOOLS: readonly AgentTool[] = ["edit", "write"];

/** Every tool: the default of writable coding agents. */
export const ALL_TOOLS: readonly AgentTool[] = AgentTool.options;

/** Tools of read-only agents that do not list any: look, never touch. */
export const READONLY_TOOLS: readonly AgentTool[] = ["read", "grep", "find", "ls"];

/** Where a spec came from; later layers win: builtin < cluster < repo. */
export const AgentSource = z.enum(["builtin", "cluster", "repo"]);
export type AgentSource = z.infer<typeof AgentSource>;

/** Agent and team names: lowercase letters, digits and dashes, starting with a letter. */
export const AgentName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, starting with a letter (at most 63)");

/** A `host:port` the proxy may tunnel to (HTTPS_PROXY): a host name or address and a port. */
export const EgressHost = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "host:port, such as registry.npmjs.org:443");

/** One agent of the fleet: who it is, which runtime drives it, what it may do, and how its sandbox is shaped. */
export const AgentSpec = z
  .object({
    name: AgentName,
    description: z.string().default(""),
    /** Runtime adapter driving the agent: pi, claude-code, codex, gemini, opencode, or command. */
    runtime: z.string().min(1),
    /** provider/id or an alias, or "" for the cluster default (runtimes that need no model ignore it). */
    model: z.string().default(""),
    /** Container image; "" means the cluster's agent image. */
    image: z.string().default(""),
    /** Tools the runtime allows; [] means none or, for `command`, not applicable. */
    tools: z.array(AgentTool).default([]),
    /** A read-only agent's worktree is mounted read-only: it can never produce a patch, even through bash. */
    readonly: z.boolean().default(false),
    /** Turn limit of the agent's loop; 0 = the runtime's default (or not applicable). */
    maxTurns: z.number().int().nonnegative().default(DEFAULT_MAX_TURNS),
    timeoutMs: z.number().int().positive().max(MAX_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
    limits: SandboxLimits.default(DEFAULT_LIMITS),
    /**
     * Open egress the agent asks for (`bridge`; the worker may map it to `host`). Coding agents need none: their
     * model is behind the worker's model proxy.
     */
    network: NetworkPolicy.default("none"),
    /** System prompt given on top of the runtime's own. */
    prompt: z.string().default(""),
    /**
     * Hosts (`host:port`, e.g. `registry.npmjs.org:443`) the run's model proxy tunnels to with HTTP CONNECT, for
     * package registries and the like; every other destination is refused. A repository agent only narrows the
     * list of the cluster agent of its name (no such agent: nothing).
     */
    egress: z.array(EgressHost).default([]),
    /**
     * Expected cost of one run in USD (front matter `estimate`): the budget's estimate for this agent until it has
     * runs of its own to average. Absent = the cluster's per-run budget.
     */
    estimateUsd: z.number().nonnegative().optional(),
    source: AgentSource.default("builtin"),
  })
  .superRefine((spec, ctx) => {
    const writing = spec.tools.filter((t) => WRITE_TOOLS.includes(t));
    if (spec.readonly && writing.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["tools"],
        message: `a read-only agent cannot have write tools (${writing.join(", ")}); remove them or set readonly: false`,
      });
    }
  });
export type AgentSpec = z.infer<typeof AgentSpec>;
