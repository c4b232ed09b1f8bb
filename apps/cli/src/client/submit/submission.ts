import type { CapturedWorkspace } from "@pancode/git";
import type { AgentFile, ClientApi, WorkspaceRefMessage } from "@pancode/proto";
import type { CliEnv } from "../cli-env.js";
import { readAgentFiles } from "./agent-files.js";
import { sessionSafety } from "./safety-level.js";
import { type UploadedWorkspace, uploadWorkspace } from "./workspace-upload.js";

/** Runs at once, and pause between two starts (ms), when the caller does not say. */
export const BATCH_DEFAULTS = { concurrency: 4, staggerMs: 150 } as const;

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

/**
 * The session's choices every submission carries, whatever it submits (a run, a batch, a chain): what `dispatch`,
 * `batch`, `chain`, `refine` and the MCP server's tools all take, parsed from their flags or arguments.
 */
export interface SubmitOptions {
  isolate?: boolean;
  mode?: string;
  model?: string;
  /** USD; 0 or absent = the cluster's per-run budget. */
  maxCostUsd?: number;
  /** Absent = PANCODE_SAFETY ({@link CliEnv.safety}), else auto-edit. */
  safety?: string;
}

/**
 * The request fields of one submission from the repository at `env.cwd`: its working state snapshotted and uploaded
 * (unless `upload` is false: a nested dispatch runs on its parent's workspace; `snapshot` when one is already under
 * way), its agent and team files, and the
 * session's mode (default PANCODE_MODE), safety level (checked before anything is uploaded) and submitter. What
 * `dispatch`, `batch`, `chain`, `refine` and the MCP server all send.
 */
export async function sessionSubmission(
  api: ClientApi,
  env: CliEnv,
  options: SubmitOptions,
  upload = true,
  snapshot?: Promise<CapturedWorkspace>,
): Promise<{ submission: Submission; workspace?: UploadedWorkspace }> {
  const safety = sessionSafety(options.safety, env);
  const workspace = upload ? await uploadWorkspace(api, env.cwd, { snapshot }) : undefined;
  return {
    submission: {
      isolate: Boolean(options.isolate),
      workspace: workspace?.ref ?? { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" },
      mode: options.mode || env.mode || "build",
      model: options.model ?? "",
      // Who submits is the token the coordinator authenticates; the field is ignored.
      submitter: "",
      agentFiles: await readAgentFiles(workspace?.snapshot.repoRoot ?? env.cwd),
      maxCostUsd: options.maxCostUsd ?? 0,
      safety,
    },
    workspace,
  };
}

/**
 * Snapshots and uploads the working state of the repository at `env.cwd` once for every run of a batch or chain,
 * like `dispatch` does.
 */
export async function prepareSubmission(api: ClientApi, env: CliEnv, options: SubmitOptions): Promise<Submission> {
  return (await sessionSubmission(api, env, options)).submission;
}
