import { isTerminalStatus, RunStatus } from "@pancode/core";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { formatMergeReport, mergeBack, mergeBlocked } from "../client/merge/merge-back.js";
import { mergeJson } from "../orchestration-json.js";
import { printJson } from "../output.js";

interface ApplyOptions {
  json?: boolean;
  acceptProtected?: boolean;
}

/**
 * `pancode apply <run>`: 3-way merges a finished run's patch into the working tree; exit 3 on conflict or when the
 * patch touches protected entries (unless --accept-protected).
 */
export async function applyCommand(id: string, options: ApplyOptions): Promise<number> {
  const api = connect();
  try {
    const run = await api.getRun(id);
    const status = RunStatus.safeParse(run.status);
    if (!status.success || !isTerminalStatus(status.data)) {
      throw new UsageError(
        `run ${run.id} is still ${run.status}; wait for it (pancode logs ${run.id.slice(0, 8)} --follow)`,
      );
    }
    const result = await mergeBack(api, run, cliEnv(), { acceptProtected: options.acceptProtected });
    if (options.json) printJson({ runId: run.id, ...mergeJson(result) });
    else process.stdout.write(`${formatMergeReport(result)}\n`);
    return mergeBlocked(result) ? EXIT.conflict : EXIT.ok;
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
    .option(
      "--accept-protected",
      "also merge protected entries (.pancode/, CI workflows, hooks, .envrc, ...); outside symlinks never",
    )
    .option("--json", "print one JSON document")
    .action((id: string, options: ApplyOptions) => run("apply", () => applyCommand(id, options)));
}
