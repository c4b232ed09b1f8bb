import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT } from "../exit-codes.js";
import { isFinal } from "../watch/run-state.js";
import { activeRunIds, watchRuns } from "../watch/watch-runs.js";

/**
 * `pancode watch [run]`: a live view of one run, or of every active run of the cluster until none is left. On a
 * terminal it redraws in place; piped, it prints one line per change. Ctrl-C leaves the runs running.
 */
export async function watchCommand(runId: string | undefined): Promise<number> {
  const api = connect();
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const initial = runId ? [runId] : await activeRunIds(api);
    if (initial.length === 0 && !runId) {
      process.stdout.write("no active runs\n");
      return EXIT.ok;
    }
    const states = await watchRuns(api, {
      runIds: initial,
      discover: runId ? undefined : () => activeRunIds(api),
      out: process.stdout,
      signal: controller.signal,
    });
    if (controller.signal.aborted) return EXIT.ok;
    // One run: its outcome is the exit code, as for dispatch --wait. All runs: watching itself succeeded.
    if (runId) return states.every((s) => s.status === "done") ? EXIT.ok : EXIT.runFailed;
    return states.every((s) => isFinal(s.status)) ? EXIT.ok : EXIT.runFailed;
  } finally {
    process.off("SIGINT", onInterrupt);
    api.close();
  }
}

/** Registers `pancode watch`. */
export function registerWatch(program: Command, run: CommandRunner): void {
  program
    .command("watch")
    .description("live view of a run, or of all active runs (agent, status, elapsed, turns, tool, tokens, cost)")
    .argument("[run]", "run id or unique prefix (default: every active run until none is left)")
    .action((runId: string | undefined) => run("watch", () => watchCommand(runId)));
}
