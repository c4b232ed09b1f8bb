import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { stopTarget } from "../client/stop-run.js";
import { printJson } from "../output.js";

interface StopOptions {
  batch?: string;
  chain?: string;
  json?: boolean;
}

/** `pancode stoprun [run] [--batch id] [--chain id]`: stops it wherever it runs; finished targets stay as they are. */
export async function stoprunCommand(runId: string | undefined, options: StopOptions): Promise<number> {
  if ([runId, options.batch, options.chain].filter(Boolean).length > 1) {
    throw new UsageError("name one thing to stop: a run id, --batch <id> or --chain <id>");
  }
  const api = connect();
  try {
    const answer = await stopTarget(api, { runId, batchId: options.batch, chainId: options.chain });
    if (options.json) printJson(answer);
    else process.stdout.write(`${answer.message}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode stoprun`. */
export function registerStoprun(program: Command, run: CommandRunner): void {
  program
    .command("stoprun")
    .description("stop a run (default: your most recent running one), or every run of a batch or chain")
    .argument("[run]", "run id or unique prefix")
    .option("--batch <id>", "stop the batch: its runs end interrupted, no further item starts")
    .option("--chain <id>", "stop the chain: its current step ends interrupted, no later step starts")
    .option("--json", "print one JSON document")
    .action((id: string | undefined, options: StopOptions) => run("stoprun", () => stoprunCommand(id, options)));
}
