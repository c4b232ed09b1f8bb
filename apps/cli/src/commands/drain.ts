import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
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
    const state = res.alreadyDraining ? "cluster was already draining" : "cluster is draining";
    process.stdout.write(
      `${state}: no coordinator admits new dispatches; ${res.activeRuns} active run(s) will finish\n` +
        "run `pancode undrain` to admit runs again\n",
    );
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode undrain [--json]`: every coordinator admits runs again. Audited. */
export async function undrainCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const res = await api.undrain();
    if (options.json) {
      printJson({ draining: res.draining, alreadyDraining: res.alreadyDraining, activeRuns: res.activeRuns });
      return EXIT.ok;
    }
    process.stdout.write(res.alreadyDraining ? "cluster was not draining\n" : "cluster admits runs again\n");
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode drain`. */
export function registerDrain(program: Command, run: CommandRunner): void {
  program
    .command("drain")
    .description("stop every coordinator admitting runs (cluster-wide, persisted); running runs finish (audited)")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("drain", () => drainCommand(options)));
}

/** Registers `pancode undrain`. */
export function registerUndrain(program: Command, run: CommandRunner): void {
  program
    .command("undrain")
    .description("end a drain: every coordinator admits runs again (audited)")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("undrain", () => undrainCommand(options)));
}
