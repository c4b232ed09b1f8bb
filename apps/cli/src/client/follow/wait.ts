import { isTerminalStatus } from "@pancode/core/terminal-status";
import type { ClientApi, RunInfo } from "@pancode/proto";
import { formatDuration } from "../../output.js";

/** Options of {@link waitForRun}. */
export interface WaitOptions {
  /** Print progress (status changes, output) to stderr. */
  progress: boolean;
  /** Also echo the run's output lines. */
  echoOutput: boolean;
}

/**
 * Follows a run until it ends and returns its final state. Progress goes to stderr so stdout stays clean for
 * `--json` and for piping; the stream is resumed from the last seen event if the connection drops.
 */
export async function waitForRun(api: ClientApi, runId: string, options: WaitOptions): Promise<RunInfo> {
  let afterSeq = 0;
  let last: RunInfo | undefined;
  for (let reconnects = 0; ; reconnects++) {
    try {
      for await (const item of api.watchRun({ runId, afterSeq, follow: true })) {
        if (item.run) {
          if (options.progress && item.run.status !== last?.status) {
            const where = item.run.workerId ? ` on ${item.run.workerId}` : "";
            process.stderr.write(`[pancode] ${item.run.id.slice(0, 8)} ${item.run.status}${where}\n`);
          }
          last = item.run;
        }
        if (item.event) {
          afterSeq = item.event.seq;
          if (options.echoOutput && (item.event.kind === "stdout" || item.event.kind === "stderr")) {
            process.stderr.write(item.event.text);
          }
        }
      }
      if (last && isTerminalStatus(last.status)) break;
    } catch (err) {
      if (reconnects >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500 * (reconnects + 1)));
    }
  }
  // The stream's last snapshot is the ended run, as GetRun would return it, once its receipt is written (the
  // coordinator signs it just after committing the final status): no extra round trip then.
  const final = last && isTerminalStatus(last.status) && last.receiptId ? last : await api.getRun(runId);
  if (options.progress) {
    process.stderr.write(`[pancode] ${final.id.slice(0, 8)} ${final.status} in ${formatDuration(final.durationMs)}\n`);
  }
  return final;
}
