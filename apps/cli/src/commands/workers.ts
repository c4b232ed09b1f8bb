import type { Command } from "commander";
import { liveWorkers, WORKER_HEADERS, workerCells, workerJson } from "../client/cluster/cluster-view.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { printJson, table } from "../output.js";

interface WorkersOptions {
  json?: boolean;
  all?: boolean;
}

/** `pancode workers [--all] [--json]`: one line per live worker (with `--all`, also those that left). */
export async function workersCommand(options: WorkersOptions): Promise<number> {
  const api = connect();
  try {
    const info = await api.clusterInfo();
    const workers = options.all ? info.workers : liveWorkers(info);
    if (options.json) {
      printJson({ workers: workers.map(workerJson) });
      return EXIT.ok;
    }
    if (workers.length === 0) {
      process.stdout.write("no live workers: start one with `pancode worker` (or `pancode up --workers N`)\n");
      return EXIT.ok;
    }
    const now = Date.now();
    const headers = options.all ? [...WORKER_HEADERS, "STATE"] : WORKER_HEADERS;
    const rows = workers.map((w) => [...workerCells(w, now), ...(options.all ? [w.live ? "live" : "gone"] : [])]);
    process.stdout.write(`${table(headers, rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/**
 * Registers `pancode workers`. Returns the command, so subcommands (`workers <sub>`) can be added to it; they read
 * the parent's `--json` through `optsWithGlobals()`, as `budget set` does.
 */
export function registerWorkers(program: Command, run: CommandRunner): Command {
  return program
    .command("workers")
    .description("the live workers: id, runtimes, providers, slots used/total, last heartbeat")
    .option("--all", "also workers that left (no heartbeat for three intervals)")
    .option("--json", "print one JSON document")
    .action((options: WorkersOptions) => run("workers", () => workersCommand(options)));
}
