import { performance } from "node:perf_hooks";
import type { ClientApi, RunEventMessage, RunInfo } from "@pancode/proto";

/** The workspace reference of a dispatch, as the CLI sends it after uploading. */
export type WorkspaceRef = NonNullable<Parameters<ClientApi["dispatch"]>[0]["workspace"]>;

/** One timed dispatch: the client's measurements plus the run as stored, for the breakdown. */
export interface PipelineSample {
  runId: string;
  /** Dispatch call -> client saw status `done`: the figure the bench is about. */
  totalMs: number;
  /** Dispatch call -> Dispatch answered (admission, insert, publish). */
  dispatchMs: number;
  /** Epoch ms (this host's clock, shared with the services) of the Dispatch call and of seeing `done`. */
  startEpochMs: number;
  doneEpochMs: number;
  /** The run after it ended (createdAt, startedAt, finishedAt) and all its events; read after the timed window. */
  run: RunInfo;
  events: RunEventMessage[];
}

const TERMINAL = new Set(["done", "error", "timeout", "interrupted"]);

/**
 * Dispatches `true` to the shell agent and follows the run with WatchRun until the client sees it terminal, exactly
 * as `pancode dispatch --wait` does (minus merge-back, which a no-op run does not need). Only the window from just
 * before Dispatch to the terminal status is timed; reading the run's events afterwards is not. Rejects when the run
 * does not end `done`: a failed no-op means the cluster is broken, not slow.
 */
export async function timeDispatch(api: ClientApi, workspace: WorkspaceRef): Promise<PipelineSample> {
  const startEpochMs = Date.now();
  const start = performance.now();
  const answer = await api.dispatch({
    task: "true",
    agent: "shell",
    isolate: false,
    workspace,
    mode: "build",
    // The shell agent runs arbitrary commands: only a full-auto session may dispatch it.
    safety: "full-auto",
    model: "",
    submitter: "bench@localhost",
  });
  const dispatched = performance.now();
  const runId = answer.run?.id;
  if (!runId) throw new Error("the coordinator answered Dispatch without a run");
  const abort = new AbortController();
  let status = answer.run?.status ?? "";
  try {
    for await (const item of api.watchRun({ runId, afterSeq: 0, follow: true }, abort.signal)) {
      if (item.run) status = item.run.status;
      if (TERMINAL.has(status)) break;
    }
  } finally {
    // Leaving the loop early must also end the server's stream, not just our side of it.
    abort.abort();
  }
  const done = performance.now();
  const doneEpochMs = Date.now();
  const run = await api.getRun(runId);
  if (run.status !== "done") {
    throw new Error(
      `run ${runId} ended ${run.status || status}, not done: ${run.error || run.outputTail || "no error text"}`,
    );
  }
  const events: RunEventMessage[] = [];
  for await (const item of api.watchRun({ runId, afterSeq: 0, follow: false })) if (item.event) events.push(item.event);
  return { runId, totalMs: done - start, dispatchMs: dispatched - start, startEpochMs, doneEpochMs, run, events };
}
