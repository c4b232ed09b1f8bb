import { PanCodeError } from "@pancode/core/errors";
import type { CapturedWorkspace } from "@pancode/git";
import type { ClientApi, DispatchResponse, RunInfo } from "@pancode/proto";
import type { CliEnv } from "../cli-env.js";
import { isRunToken } from "./safety-level.js";
import { type SubmitOptions, sessionSubmission } from "./submission.js";
import type { UploadedWorkspace } from "./workspace-upload.js";

/** What one dispatch asks for; the workspace is the repository at `env.cwd`, the mode PANCODE_MODE unless given. */
export interface DispatchOptions extends SubmitOptions {
  task: string;
  agent?: string;
  /** ms; 0 = the agent's timeout. */
  timeoutMs?: number;
  /** The snapshot of `env.cwd` when already under way (see startSnapshot); else it is taken here. */
  snapshot?: Promise<CapturedWorkspace>;
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
 * Uploads the exact working state of the repository at `env.cwd` (with its agent and team files) and dispatches a run
 * on it: what `pancode dispatch` and the MCP server's `dispatch_agent` both do, so both pass the same gates.
 */
export async function submitDispatch(api: ClientApi, env: CliEnv, options: DispatchOptions): Promise<Submitted> {
  // Inside a run's container (nested dispatch) the sub-run works on the parent's workspace: nothing to upload,
  // and no git needed. The coordinator fills in the workspace and derives the depth from the token.
  const nested = isRunToken(env.connection().token);
  const { submission, workspace } = await sessionSubmission(api, env, options, !nested, options.snapshot);
  const answer = await api.dispatch({
    ...submission,
    task: options.task,
    agent: options.agent ?? "",
    timeoutMs: options.timeoutMs ?? 0,
  });
  if (!answer.run) throw new PanCodeError("INTERNAL", "the coordinator answered the dispatch without a run");
  return { run: answer.run, warnings: answer.warnings, workspace, nested };
}
