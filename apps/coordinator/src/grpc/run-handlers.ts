import { PanCodeError } from "@pancode/core";
import type {
  BlobRef,
  ClientServiceServer,
  DispatchRequest,
  DispatchResponse,
  RunInfo,
  UploadBlobRequest,
  WatchRunResponse,
} from "@pancode/proto";
import { downloadChunks } from "@pancode/proto";
import { currentTraceparent, withSpan } from "@pancode/telemetry";
import type { DispatchService } from "../services/dispatch-service.js";
import type { RunQueries, RunRow } from "../services/run-queries.js";
import type { WorkspaceUploads } from "../services/workspace-uploads.js";
import { openUpload, UPLOAD_LIMIT_SETTING } from "./blob-upload.js";
import { actorOf, type Caller, clientStream, type HandlerContext, serverStream, unary } from "./handlers.js";
import { toRunInfo } from "./run-info.js";

/** The ClientService methods of workspaces and runs: upload, dispatch, read, follow, fetch the patch. */
export type RunHandlers = Pick<
  ClientServiceServer,
  "uploadBlob" | "hasCommit" | "dispatch" | "getRun" | "listRuns" | "watchRun" | "fetchPatch"
>;

/** What the run handlers need. */
export interface RunHandlerDeps {
  /** Workspace bundles and state clients upload. */
  uploads: WorkspaceUploads;
  dispatch: DispatchService;
  runs: RunQueries;
  /** Largest upload accepted (PANCODE_MAX_WORKSPACE_BYTES). */
  maxWorkspaceBytes: number;
}

/** Kinds of blob a client may upload: the parts of a workspace. */
const CLIENT_BLOB_KINDS = new Set(["bundle", "state"]);

/** A run-token caller may read only the runs it dispatched; anyone else is told nothing about other runs. */
function requireVisible(caller: Caller, run: RunRow): void {
  if (caller.kind === "run" && run.parentRunId !== caller.runId) {
    throw new PanCodeError(
      "NOT_FOUND",
      `run ${run.id} was not dispatched by run ${caller.runId}; a run token reads only its own sub-runs`,
    );
  }
}

/** The dispatch input of a request: who dispatched is the authenticated caller, never what the request claims. */
function dispatchInput(req: DispatchRequest, caller: Caller): Parameters<DispatchService["dispatch"]>[0] {
  return {
    task: req.task,
    agent: req.agent,
    isolate: req.isolate,
    mode: req.mode,
    model: req.model,
    submitter: actorOf(caller),
    ...(caller.kind === "user" ? { userName: caller.name, team: caller.team } : {}),
    agentFiles: req.agentFiles,
    maxCostUsd: req.maxCostUsd,
    safety: req.safety,
    // Only the server-verified run token makes a dispatch a sub-run; nothing in the request can.
    ...(caller.kind === "run" ? { parentRunId: caller.runId } : {}),
    timeoutMs: req.timeoutMs,
    workspace: req.workspace ?? { repoId: "", baseCommit: "", bundleDigest: "", stateDigest: "", stateTree: "" },
  };
}

/** Builds the run handlers. */
export function createRunHandlers(hc: HandlerContext, deps: RunHandlerDeps): RunHandlers {
  /** Client views of runs with their live progress (one query for all of them). */
  const runInfos = async (rows: readonly RunRow[]): Promise<RunInfo[]> => {
    const progress = await deps.runs.progress(rows);
    return rows.map((r) => toRunInfo(r, progress.get(r.id)));
  };
  const runInfo = async (row: RunRow): Promise<RunInfo> => (await runInfos([row]))[0] as RunInfo;
  return {
    uploadBlob: clientStream(hc, "UploadBlob", async (messages: AsyncIterable<UploadBlobRequest>): Promise<BlobRef> => {
      const { header, data } = await openUpload(messages, CLIENT_BLOB_KINDS);
      const { digest, size } = header;
      const limits = { maxBytes: deps.maxWorkspaceBytes, limitSetting: UPLOAD_LIMIT_SETTING };
      await deps.uploads.store({ digest, size, ...limits }, header.kind, data);
      return { digest, size };
    }),
    hasCommit: unary(hc, "HasCommit", async (req) => ({
      present: await deps.uploads.hasCommit(req.repoId, req.commit),
    })),
    dispatch: unary(hc, "Dispatch", async (req: DispatchRequest, trace, caller): Promise<DispatchResponse> => {
      const result = await withSpan(
        "pancode.admission",
        { "pancode.agent": req.agent },
        async () => deps.dispatch.dispatch(dispatchInput(req, caller), currentTraceparent()),
        trace,
      );
      return { run: toRunInfo(result.run), warnings: result.warnings };
    }),
    getRun: unary(hc, "GetRun", async (req, _trace, caller) => {
      const run = await deps.runs.resolve(req.runId);
      requireVisible(caller, run);
      return runInfo(run);
    }),
    listRuns: unary(hc, "ListRuns", async (req, _trace, caller) => {
      const userName = req.mine ? actorOf(caller) : req.user || undefined;
      return { runs: await runInfos(await deps.runs.list(req.limit, { userName, team: req.team || undefined })) };
    }),
    watchRun: serverStream(hc, "WatchRun", async function* (req, signal, caller): AsyncGenerator<WatchRunResponse> {
      if (caller.kind === "run") requireVisible(caller, await deps.runs.resolve(req.runId));
      for await (const item of deps.runs.watch(req.runId, req.afterSeq, req.follow, signal)) {
        if ("run" in item) yield { run: await runInfo(item.run), event: undefined };
        else {
          const e = item.event;
          yield {
            run: undefined,
            event: {
              runId: e.runId,
              seq: e.seq,
              attempt: e.attempt,
              at: e.at.toISOString(),
              kind: e.kind,
              text: e.text,
            },
          };
        }
      }
    }),
    fetchPatch: serverStream(hc, "FetchPatch", async function* (req) {
      const patch = await deps.runs.patch(req.runId);
      yield* downloadChunks(patch, patch.chunks());
    }),
  };
}
