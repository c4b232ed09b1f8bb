import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT } from "../exit-codes.js";
import { printJson } from "../output.js";

/** `pancode drain --json`. */
export interface DrainJson {
  draining: boolean;
  /** The coordinator was already draining (nothing changed, nothing audited). */
  alreadyDraining: boolean;
  /** Runs still pending or running; they finish. */
  activeRuns: number;
}

/** `pancode drain [--json]`: the coordinator stops admitting runs; running runs finish. Audited. */
export async function drainCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const res = await api.drain();
    if (options.json) {
      const out: DrainJson = {
        draining: res.draining,
        alreadyDraining: res.alreadyDraining,
        activeRuns: res.activeRuns,
      };
      printJson(out);
      return EXIT.ok;
    }
    const state = res.alreadyDraining ? "coordinator was already draining" : "coordinator is draining";
    process.stdout.write(
      `${state}: no new dispatches are admitted; ${res.activeRuns} active run(s) will finish\n` +
        "restart the coordinator to admit runs again\n",
    );
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode drain`. */
export function registerDrain(program: Command, run: CommandRunner): void {
  program
    .command("drain")
    .description("stop the coordinator admitting runs; running runs finish (audited)")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("drain", () => drainCommand(options)));
}
