import { PanCodeError } from "@pancode/core";
import type { ClientApi, DispatchResponse, RunInfo } from "@pancode/proto";
import { connectionSettings } from "../connection.js";
import { isRunToken } from "./safety-level.js";
import { type SessionOptions, sessionSubmission } from "./submission.js";
import type { UploadedWorkspace } from "./workspace-upload.js";

/** What one dispatch asks for; the workspace is the repository at `cwd`, the mode PANCODE_MODE unless given. */
export interface SubmitOptions extends SessionOptions {
  task: string;
  agent?: string;
  /** ms; 0 = the agent's timeout. */
  timeoutMs?: number;
}

/** An admitted run with the coordinator's warnings and the workspace it runs on. */
export interface Submitted {
  run: RunInfo;
  warnings: DispatchResponse["warnings"];
  /** The uploaded workspace; absent for a nested dispatch, which runs on its parent run's workspace. */
  workspace?: UploadedWorkspace;
  /** True inside a run's container (run token): the sub-run's patch stays on the coordinator. */
  nested: boolean;
}

/**
 * Uploads the exact working state of the repository at `cwd` (with its agent and team files) and dispatches a run
 * on it: what `pancode dispatch` and the MCP server's `dispatch_agent` both do, so both pass the same gates.
 */
export async function submitDispatch(api: ClientApi, cwd: string, options: SubmitOptions): Promise<Submitted> {
  // Inside a run's container (nested dispatch) the sub-run works on the parent's workspace: nothing to upload,
  // and no git needed. The coordinator fills in the workspace and derives the depth from the token.
  const nested = isRunToken(connectionSettings(process.env).token);
  const { submission, workspace } = await sessionSubmission(api, cwd, options, !nested);
  const answer = await api.dispatch({
    ...submission,
    task: options.task,
    agent: options.agent ?? "",
    timeoutMs: options.timeoutMs ?? 0,
  });
  if (!answer.run) throw new PanCodeError("INTERNAL", "the coordinator answered the dispatch without a run");
  return { run: answer.run, warnings: answer.warnings, workspace, nested };
}
