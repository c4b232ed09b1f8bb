import type { AgentFile, ClientApi, WorkspaceRefMessage } from "@pancode/proto";
import { readAgentFiles } from "./agent-files.js";
import { parseMaxCost, submitterName } from "./commands/dispatch.js";
import { sessionSafety } from "./safety-level.js";
import { uploadWorkspace } from "./workspace-upload.js";

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

/**
 * Snapshots and uploads the working state of the repository at `cwd` once for every run of a batch or chain, like
 * `dispatch` does; mode and safety default to PANCODE_MODE and PANCODE_SAFETY. The MCP server passes its own `cwd`.
 */
export async function prepareSubmission(
  api: ClientApi,
  options: SubmitOptions,
  cwd: string = process.cwd(),
): Promise<Submission> {
  const maxCostUsd = parseMaxCost(options.maxCost);
  const safety = sessionSafety(options.safety);
  const workspace = await uploadWorkspace(api, cwd);
  return {
    isolate: Boolean(options.isolate),
    workspace: workspace.ref,
    mode: options.mode ?? process.env.PANCODE_MODE ?? "build",
    model: options.model ?? "",
    submitter: submitterName(),
    agentFiles: await readAgentFiles(workspace.snapshot.repoRoot),
    maxCostUsd,
    safety,
  };
}
