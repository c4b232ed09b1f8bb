import { PanCodeError } from "@pancode/core";
import type { ClientApi, DispatchResponse, RunInfo } from "@pancode/proto";
import { readAgentFiles } from "./agent-files.js";
import { submitterName } from "./submitter.js";
import { type UploadedWorkspace, uploadWorkspace } from "./workspace-upload.js";

/** What one dispatch asks for; the workspace is the repository at `cwd`, the mode PANCODE_MODE unless given. */
export interface SubmitOptions {
  task: string;
  agent?: string;
  isolate?: boolean;
  mode?: string;
  model?: string;
  /** USD; 0 = the cluster's per-run budget. */
  maxCostUsd?: number;
  /** ms; 0 = the agent's timeout. */
  timeoutMs?: number;
}

/** An admitted run with the coordinator's warnings and the workspace it runs on. */
export interface Submitted {
  run: RunInfo;
  warnings: DispatchResponse["warnings"];
  workspace: UploadedWorkspace;
}

/**
 * Uploads the exact working state of the repository at `cwd` (with its agent and team files) and dispatches a run
 * on it: what `pancode dispatch` and the MCP server's `dispatch_agent` both do, so both pass the same gates.
 */
export async function submitDispatch(api: ClientApi, cwd: string, options: SubmitOptions): Promise<Submitted> {
  const workspace = await uploadWorkspace(api, cwd);
  const answer = await api.dispatch({
    agentFiles: await readAgentFiles(workspace.snapshot.repoRoot),
    task: options.task,
    agent: options.agent ?? "",
    isolate: Boolean(options.isolate),
    workspace: workspace.ref,
    mode: options.mode || process.env.PANCODE_MODE || "build",
    model: options.model ?? "",
    submitter: submitterName(),
    maxCostUsd: options.maxCostUsd ?? 0,
    timeoutMs: options.timeoutMs ?? 0,
  });
  if (!answer.run) throw new PanCodeError("INTERNAL", "the coordinator answered the dispatch without a run");
  return { run: answer.run, warnings: answer.warnings, workspace };
}
