import { isTerminalStatus, RunStatus } from "@pancode/core";
import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { formatMergeReport, mergeBack } from "../merge-back.js";
import { printJson } from "../output.js";

/** `pancode apply <run>`: 3-way merges a finished run's patch into the working tree; exit 3 on conflict. */
export async function applyCommand(id: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const run = await api.getRun(id);
    const status = RunStatus.safeParse(run.status);
    if (!status.success || !isTerminalStatus(status.data)) {
      throw new UsageError(
        `run ${run.id} is still ${run.status}; wait for it (pancode logs ${run.id.slice(0, 8)} --follow)`,
      );
    }
    const result = await mergeBack(api, run, process.cwd());
    if (options.json) {
      printJson({
        runId: run.id,
        outcome: result.report.outcome,
        files: result.report.files,
        savedPatch: result.savedPatch || null,
      });
    } else {
      process.stdout.write(`${formatMergeReport(result)}\n`);
    }
    return result.report.outcome === "conflict" ? EXIT.conflict : EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode apply`. */
export function registerApply(program: Command, run: CommandRunner): void {
  program
    .command("apply")
    .description("merge a finished run's patch into your working tree (3-way; nothing changes on conflict)")
    .argument("<run>", "run id or prefix")
    .option("--json", "print one JSON document")
    .action((id: string, options: { json?: boolean }) => run("apply", () => applyCommand(id, options)));
}
