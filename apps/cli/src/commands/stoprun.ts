import type { ClientApi, StopRunResponse } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { printJson } from "../output.js";

interface StopOptions {
  batch?: string;
  chain?: string;
  json?: boolean;
}

/** What to stop: a run, a batch or a chain (at most one); none = the submitter's most recent active run. */
export interface StopTarget {
  runId?: string;
  batchId?: string;
  chainId?: string;
}

/**
 * Stops a run, batch or chain as this submitter, wherever it runs; a target that already ended stays as it is and
 * the answer says so. What `pancode stoprun` and the MCP server's `stop_run` both do.
 */
export async function stopTarget(api: ClientApi, target: StopTarget): Promise<StopRunResponse> {
  return api.stopRun({
    runId: target.runId ?? "",
    batchId: target.batchId ?? "",
    chainId: target.chainId ?? "",
    submitter: "",
  });
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
