import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { isFinal } from "../client/watch/run-state.js";
import { watchBatch, watchChain } from "../client/watch/watch-group.js";
import { activeRunIds, watchRuns } from "../client/watch/watch-runs.js";

interface WatchOptions {
  batch?: string;
  chain?: string;
  json?: boolean;
}

/**
 * `pancode watch [run | --batch id | --chain id]`: a live view of one run, of a batch or chain with its progress
 * bar, or of every active run of the cluster until none is left. On a terminal it redraws in place; piped, it
 * prints one line per change; with --json one JSON object per line per change. Ctrl-C leaves the runs running.
 */
export async function watchCommand(runId: string | undefined, options: WatchOptions = {}): Promise<number> {
  const targets = [runId, options.batch, options.chain].filter((t) => t !== undefined);
  if (targets.length > 1) throw new UsageError("watch one thing: a run id, --batch <id> or --chain <id>");
  const api = connect();
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const view = { out: process.stdout, signal: controller.signal, json: options.json };
    if (options.batch !== undefined || options.chain !== undefined) {
      const group =
        options.batch !== undefined
          ? await watchBatch(api, options.batch, view)
          : await watchChain(api, options.chain ?? "", view);
      if (controller.signal.aborted) return EXIT.ok;
      // As for batch --wait and chain --wait: the group's outcome is the exit code.
      return group.status === "done" ? EXIT.ok : EXIT.runFailed;
    }
    const initial = runId ? [runId] : await activeRunIds(api);
    if (initial.length === 0 && !runId) {
      // NDJSON of nothing is no line at all.
      if (!options.json) process.stdout.write("no active runs\n");
      return EXIT.ok;
    }
    const states = await watchRuns(api, {
      runIds: initial,
      discover: runId ? undefined : () => activeRunIds(api),
      ...view,
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
    .description(
      "live view of a run, a batch, a chain, or all active runs (agent, status, elapsed, turns, tool, tokens, cost)",
    )
    .argument("[run]", "run id or unique prefix (default: every active run until none is left)")
    .option("--batch <id>", "a batch (id or unique prefix): its runs with a progress bar, until the batch ended")
    .option("--chain <id>", "a chain or refine loop (id or unique prefix): its steps, until it ended")
    .option("--json", "NDJSON: one JSON object per line each time a run (or the batch or chain) changes")
    .action((runId: string | undefined, options: WatchOptions) => run("watch", () => watchCommand(runId, options)));
}
