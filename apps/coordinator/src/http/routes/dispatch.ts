import type { ApiRole } from "@pancode/db";
import type { RunInfo, WorkspaceRefMessage } from "@pancode/proto";
import { requireRole } from "../../grpc/roles.js";
import { type ApiContext, type ApiHandler, jsonBody, stringField } from "../context.js";
import { HttpError } from "../errors.js";
import type { Route } from "../router.js";

/** Recent runs of the caller searched for workspaces: a console user picks from what their CLI uploaded lately. */
const RECENT_RUNS = 200;

/** A workspace is named by the run whose dispatch uploaded it (`run:<id>`): the server then knows whose it is. */
const REF_PREFIX = "run:";

function workspaceKey(w: WorkspaceRefMessage): string {
  return `${w.repoId}\0${w.baseCommit}\0${w.stateDigest}`;
}

/**
 * `GET /api/v1/workspaces`: the repository states the caller's own CLI dispatches uploaded, newest first, one entry
 * per distinct state: `{ workspaces: [ { ref, repo, commit, runId, uploadedAt } ] }`.
 */
async function listWorkspaces(ctx: ApiContext) {
  const { runs } = await ctx.api.unary("listRuns", { limit: RECENT_RUNS, user: "", team: "", mine: true }, ctx.token);
  const seen = new Set<string>();
  const workspaces = [];
  for (const run of runs) {
    if (!run.workspace?.repoId || run.parentRunId) continue;
    const key = workspaceKey(run.workspace);
    if (seen.has(key)) continue;
    seen.add(key);
    workspaces.push({
      ref: `${REF_PREFIX}${run.id}`,
      repo: run.workspace.repoId,
      commit: run.workspace.baseCommit,
      runId: run.id,
      task: run.task,
      uploadedAt: run.createdAt,
    });
  }
  return { json: { workspaces } };
}

/** The workspace a ref names, if it is one of the caller's own uploads; 400 otherwise. */
async function ownWorkspace(ctx: ApiContext, ref: string): Promise<WorkspaceRefMessage> {
  if (!ref.startsWith(REF_PREFIX)) {
    throw new HttpError(400, "invalid_argument", `workspace "${ref}" is not a ref from GET /api/v1/workspaces`);
  }
  const [me, run] = await Promise.all([
    ctx.api.unary("whoAmI", {}, ctx.token),
    ctx.api.unary("getRun", { runId: ref.slice(REF_PREFIX.length) }, ctx.token) as Promise<RunInfo>,
  ]);
  // The role check first, from the one role table: a viewer hears "needs role member", not about workspaces.
  requireRole("Dispatch", { name: me.name, role: me.role as ApiRole });
  // The role check first, from the one role table: a viewer hears "needs role member", not about workspaces.
  requireRole("Dispatch", { name: me.name, role: me.role as ApiRole });
  if (!run.workspace?.repoId || run.user !== me.name) {
    throw new HttpError(
      400,
      "invalid_argument",
      `workspace "${ref}" was not uploaded by your CLI; pick one from GET /api/v1/workspaces`,
    );
  }
  return run.workspace;
}

/**
 * `POST /api/v1/runs {task, agent, model?, workspace}`: dispatches on a repository state the caller's CLI uploaded.
 * Isolated: the patch waits for `pancode apply` on the developer's machine.
 */
async function dispatch(ctx: ApiContext) {
  const body = await jsonBody(ctx.req);
  const task = stringField(body, "task", true);
  const agent = stringField(body, "agent");
  const model = stringField(body, "model");
  const workspace = await ownWorkspace(ctx, stringField(body, "workspace", true));
  const answer = await ctx.api.unary(
    "dispatch",
    {
      task,
      agent,
      isolate: true,
      workspace,
      mode: "build",
      model,
      submitter: "",
      agentFiles: [],
      maxCostUsd: 0,
      safety: "",
      timeoutMs: 0,
    },
    ctx.token,
  );
  return { status: 201, json: { id: answer.run?.id ?? "", runId: answer.run?.id ?? "", warnings: answer.warnings } };
}

export const dispatchRoutes: Route<ApiHandler>[] = [
  { method: "GET", path: "/api/v1/workspaces", handler: listWorkspaces },
  { method: "POST", path: "/api/v1/runs", handler: dispatch },
];
