import { parseDuration } from "@pancode/agents";
import type { AgentFile, ClientApi, WorkspaceRefMessage } from "@pancode/proto";
import { UsageError } from "../exit-codes.js";
import { readAgentFiles } from "./agent-files.js";
import { sessionSafety } from "./safety-level.js";
import { type UploadedWorkspace, uploadWorkspace } from "./workspace-upload.js";

/** Runs at once, and pause between two starts (ms), when the caller does not say. */
export const BATCH_DEFAULTS = { concurrency: 4, staggerMs: 150 } as const;

/** Options every submitting command (batch, chain, refine) shares with dispatch. */
export interface SubmitOptions {
  isolate?: boolean;
  mode?: string;
  model?: string;
  maxCost?: string;
  safety?: string;
}

/** The request fields of a batch or chain that describe where and how its runs execute. */
export interface Submission {
  isolate: boolean;
  workspace: WorkspaceRefMessage;
  mode: string;
  model: string;
  submitter: string;
  agentFiles: AgentFile[];
  maxCostUsd: number;
  safety: string;
}

/** The session's choices every submission carries, whatever it submits. */
export interface SessionOptions {
  isolate?: boolean;
  mode?: string;
  model?: string;
  /** USD; 0 or absent = the cluster's per-run budget. */
  maxCostUsd?: number;
  /** Absent = PANCODE_SAFETY, else auto-edit. */
  safety?: string;
}

/**
 * The request fields of one submission from the repository at `cwd`: its working state snapshotted and uploaded
 * (unless `upload` is false: a nested dispatch runs on its parent's workspace), its agent and team files, and the
 * session's mode (default PANCODE_MODE), safety level (checked before anything is uploaded) and submitter. What
 * `dispatch`, `batch`, `chain`, `refine` and the MCP server all send.
 */
export async function sessionSubmission(
  api: ClientApi,
  cwd: string,
  options: SessionOptions,
  upload = true,
): Promise<{ submission: Submission; workspace?: UploadedWorkspace }> {
  const safety = sessionSafety(options.safety);
  const workspace = upload ? await uploadWorkspace(api, cwd) : undefined;
  return {
    submission: {
      isolate: Boolean(options.isolate),
      workspace: workspace?.ref ?? { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" },
      mode: options.mode || process.env.PANCODE_MODE || "build",
      model: options.model ?? "",
      // Who submits is the token the coordinator authenticates; the field is ignored.
      submitter: "",
      agentFiles: await readAgentFiles(workspace?.snapshot.repoRoot ?? cwd),
      maxCostUsd: options.maxCostUsd ?? 0,
      safety,
    },
    workspace,
  };
}

/**
 * Snapshots and uploads the working state of the repository at `cwd` once for every run of a batch or chain, like
 * `dispatch` does (`--max-cost` parsed first). The MCP server passes its own `cwd`.
 */
export async function prepareSubmission(
  api: ClientApi,
  options: SubmitOptions,
  cwd: string = process.cwd(),
): Promise<Submission> {
  const maxCostUsd = parseMaxCost(options.maxCost);
  return (await sessionSubmission(api, cwd, { ...options, maxCostUsd })).submission;
}

/** `--max-cost <usd>`: a positive amount in USD, or a usage error (exit 2); absent = 0, the cluster's default. */
export function parseMaxCost(value: string | undefined): number {
  if (value === undefined) return 0;
  const amount = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(amount) || amount <= 0) {
    throw new UsageError(`--max-cost must be a positive amount in USD, e.g. --max-cost 0.50; got "${value}"`);
  }
  return amount;
}

/** `--timeout <duration>`: `90s`, `5m`, `1h` or milliseconds, above 0; absent = 0, the agent's own timeout. */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 0;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--timeout must be a duration such as 90s, 5m, 1h or a number of ms; got "${value}"`);
  }
  return ms;
}
