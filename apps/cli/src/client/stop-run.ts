import type { ClientApi, StopRunResponse } from "@pancode/proto";

/** What to stop: a run, a batch or a chain (at most one); none = the submitter's most recent active run. */
export interface StopTarget {
  runId?: string;
  batchId?: string;
  chainId?: string;
}

/**
 * Stops a run, batch or chain as this submitter, wherever it runs; a target that already ended stays as it is and
 * the answer says so. What `pancode stoprun` and the MCP server's `stop_run` both do.
 */
export async function stopTarget(api: ClientApi, target: StopTarget): Promise<StopRunResponse> {
  return api.stopRun({
    runId: target.runId ?? "",
    batchId: target.batchId ?? "",
    chainId: target.chainId ?? "",
    submitter: "",
  });
}
