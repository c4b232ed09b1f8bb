import { type ErrorCode, isPanCodeError, PanCodeError, type ResolvedAgent } from "@pancode/core";

/** The pool every run goes to until routing by capability splits them (a subject per pool on the bus). */
export const DEFAULT_POOL = "default";

/** Default of PANCODE_MAX_SUBRUNS. */
export const DEFAULT_MAX_SUBRUNS = 8;

/** Default of PANCODE_DISPATCH_MAX_DEPTH. */
export const DEFAULT_MAX_DEPTH = 2;

/** Longest per-dispatch timeout accepted: 24 h (an int32 of ms holds about 24.8 days, a run should not). */
export const MAX_DISPATCH_TIMEOUT_MS = 24 * 3_600_000;

/** The cost cap a run gets: the dispatch's own when positive, else the cluster's per-run budget, else 0 (none). */
export function effectiveCostCap(requestedUsd: number | undefined, perRunUsd: number | undefined): number {
  if (requestedUsd !== undefined && Number.isFinite(requestedUsd) && requestedUsd > 0) return requestedUsd;
  return perRunUsd !== undefined && perRunUsd > 0 ? perRunUsd : 0;
}

/** The agent with the dispatch's own timeout when one was asked for (`--timeout`), else as defined. */
export function withTimeout(agent: ResolvedAgent, timeoutMs: number | undefined): ResolvedAgent {
  if (timeoutMs === undefined || timeoutMs === 0) return agent;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_DISPATCH_TIMEOUT_MS) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `timeout must be a whole number of ms between 1 and ${MAX_DISPATCH_TIMEOUT_MS} (24 h), got ${timeoutMs}`,
    );
  }
  return { ...agent, timeoutMs };
}

/** A dispatch as it reaches admission, already decoded from the wire. */
export interface DispatchInput {
  task: string;
  agent: string;
  isolate: boolean;
  mode: string;
  model: string;
  submitter: string;
  /** Authenticated person and team the run is recorded with (set by the server; sub-runs take the parent's). */
  userName?: string | null;
  team?: string | null;
  workspace: { repoId: string; baseCommit: string; bundleDigest: string; stateDigest: string; stateTree: string };
  /** The repository's agent (`.md`) and team (`.yaml`) files, for this dispatch only. */
  agentFiles?: readonly { path: string; content: string }[];
  /** Per-run cost cap in USD asked for by this dispatch; 0 or absent = the cluster's default. */
  maxCostUsd?: number;
  /** Per-run timeout in ms asked for by this dispatch; 0 or absent = the agent's timeoutMs. */
  timeoutMs?: number;
  /** Safety level of the submitting session (suggest | auto-edit | full-auto); '' or absent = auto-edit. */
  safety?: string;
  /**
   * The live run whose run token authenticated this dispatch (set by the server from the token, never from the
   * request); absent for client submissions.
   */
  parentRunId?: string;
  /** Set when the run is an item of a batch or a step of a chain (the coordinator's orchestration dispatches it). */
  orchestration?: RunOrchestration;
}

/** Where an orchestrated run belongs and the state it starts from. */
interface RunOrchestration {
  batchId?: string;
  chainId?: string;
  /** 1-based item or step number. */
  step: number;
  /** Patch digests of the earlier chain steps, applied in order before the agent starts. */
  basePatches?: string[];
}

/** Longest task text accepted (64 KiB): a prompt, not a payload. Files travel in the workspace. */
export const MAX_TASK_BYTES = 64 * 1024;

/** Session modes of the seed. Plan forbids dispatch; Review admits only read-only agents. */
const MODES = ["plan", "build", "review"] as const;

/** Gate 1, mode: no dispatch in Plan mode. */
export function checkMode(input: DispatchInput): void {
  const mode = input.mode || "build";
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new PanCodeError("INVALID_ARGUMENT", `unknown mode "${mode}"; use one of: ${MODES.join(", ")}`);
  }
  if (mode === "plan") {
    throw new PanCodeError("MODE_BLOCKED", "Dispatch blocked: dispatch is disabled in Plan mode (use --mode build)");
  }
}

/** Gate 2, mutation: Review mode admits only read-only agents. */
export function checkMutation(input: DispatchInput, agent: ResolvedAgent): void {
  if ((input.mode || "build") === "review" && !agent.readonly) {
    throw new PanCodeError(
      "READONLY_REQUIRED",
      `Dispatch blocked: agent "${agent.name}" is not read-only, and Review mode only allows read-only agents`,
    );
  }
}

/** Gate 5, task validation: something to do, of a sane size. */
export function checkTask(input: DispatchInput): void {
  if (input.task.trim() === "") {
    throw new PanCodeError("EMPTY_TASK", "Dispatch blocked: the task is empty; say what the agent should do");
  }
  if (Buffer.byteLength(input.task) > MAX_TASK_BYTES) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `task is ${Buffer.byteLength(input.task)} bytes, over the limit of ${MAX_TASK_BYTES}; put large inputs in files of the workspace`,
    );
  }
}

/** Shape checks of the workspace reference (existence of its blobs is checked by the dispatch service). */
export function checkWorkspaceShape(input: DispatchInput): void {
  const w = input.workspace;
  if (!w.repoId || !/^[0-9a-f]{40}$/.test(w.baseCommit) || !/^[0-9a-f]{40}$/.test(w.stateTree)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      "workspace reference is incomplete: repoId, a 40-hex baseCommit and a 40-hex stateTree are required",
    );
  }
}

/** How every refusal by a gate starts. */
export const REFUSAL_PREFIX = "Dispatch blocked: ";

/** The admission gates, in the seed's order (gates 4, 6 and 7 are recursion, path and safety). */
export const GATES = [
  "mode",
  "mutation",
  "drain",
  "recursion",
  "task",
  "path",
  "safety",
  "budget",
  "agent",
  "routing",
] as const;

/** One of {@link GATES}, or "request" for a malformed dispatch that no gate names (INVALID_ARGUMENT). */
export type Gate = (typeof GATES)[number] | "request";

/** Which gate refused a dispatch, by the refusal's error code. Loop detection is part of the safety pre-flight. */
export const GATE_FOR_CODE: Partial<Record<ErrorCode, Gate>> = {
  MODE_BLOCKED: "mode",
  READONLY_REQUIRED: "mutation",
  DRAINING: "drain",
  DEPTH_EXCEEDED: "recursion",
  EMPTY_TASK: "task",
  PATH_OUTSIDE_WORKSPACE: "path",
  SAFETY_BLOCKED: "safety",
  LOOP_DETECTED: "safety",
  BUDGET_EXCEEDED: "budget",
  UNKNOWN_AGENT: "agent",
  NO_WORKER: "routing",
  INVALID_ARGUMENT: "request",
};

/** The gate that refused with `err`; undefined when `err` is no refusal (an internal or database failure). */
export function gateOf(err: unknown): Gate | undefined {
  return isPanCodeError(err) ? GATE_FOR_CODE[err.code] : undefined;
}
