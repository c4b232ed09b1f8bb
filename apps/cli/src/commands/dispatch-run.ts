// The part of `pancode dispatch` that needs the gRPC client: dispatch.ts loads it once the flags are checked and the
// workspace snapshot is under way, so git works while Node parses grpc-js and the generated protobuf code.
import { type ClientApi, type RunInfo, runJson } from "@pancode/proto";
import type { CliEnv } from "../client/cli-env.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { waitForRun } from "../client/follow/wait.js";
import { formatMergeReport, type MergeBackResult, mergeBack, mergeBlocked } from "../client/merge/merge-back.js";
import { type DispatchOptions, submitDispatch } from "../client/submit/submit.js";
import { mergeJson } from "../orchestration-json.js";
import { formatCost, formatDuration, printJson } from "../output.js";
import type { DispatchFlags } from "./submit-flags.js";

async function watchLive(api: ClientApi, runId: string): Promise<RunInfo> {
  const { watchRuns } = await import("../client/watch/watch-runs.js");
  await watchRuns(api, { runIds: [runId], out: process.stderr });
  return api.getRun(runId);
}

/**
 * Submits the dispatch `request` (its flags checked, its snapshot maybe under way) and, with --wait, follows the run
 * and merges its patch back; returns the exit code.
 */
export async function runDispatch(env: CliEnv, request: DispatchOptions, options: DispatchFlags): Promise<number> {
  const api = connect(env);
  try {
    const answer = await submitDispatch(api, env, request);
    const run = answer.run;
    for (const warning of answer.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (!options.wait) {
      if (options.json) printJson(runJson(run));
      else
        process.stdout.write(
          `dispatched run ${run.id} (agent ${run.agent}); follow it with: pancode logs ${run.id.slice(0, 8)} --follow\n`,
        );
      return EXIT.ok;
    }
    // On a terminal, the live view of `pancode watch` on stderr (loaded only then: it parses agent events with
    // schemas that a script's `dispatch --wait` would load for nothing); otherwise the plain progress lines.
    const final =
      process.stderr.isTTY && !options.json
        ? await watchLive(api, run.id)
        : await waitForRun(api, run.id, { progress: !options.json, echoOutput: !options.json });
    let merge: MergeBackResult | undefined;
    // A nested sub-run's patch stays on the coordinator (no git in the container): review it with pancode diff.
    if (!answer.nested && final.status === "done" && !final.isolate && final.patch && final.patch.bytes > 0) {
      merge = await mergeBack(api, final, env);
    }
    if (options.json) {
      printJson({
        ...runJson(final),
        merge: merge ? mergeJson(merge) : null,
      });
    } else {
      process.stdout.write(
        `run ${final.id} ${final.status}${final.error ? `: ${final.error}` : ""} (${formatDuration(final.durationMs >= 0 ? final.durationMs : null)}, ${formatCost(final.costUsd)})\n`,
      );
      if (merge) process.stdout.write(`${formatMergeReport(merge)}\n`);
      else if (final.isolate && final.patch && final.patch.bytes > 0) {
        process.stdout.write(
          `isolated: review with pancode diff ${final.id.slice(0, 8)}, merge with pancode apply ${final.id.slice(0, 8)}\n`,
        );
      }
    }
    if (mergeBlocked(merge)) return EXIT.conflict;
    return final.status === "done" ? EXIT.ok : EXIT.runFailed;
  } finally {
    api.close();
  }
}
