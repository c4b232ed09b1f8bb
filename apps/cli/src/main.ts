import { Command } from "commander";
import { registerAgents } from "./commands/agents.js";
import { registerApply } from "./commands/apply.js";
import { registerDispatch } from "./commands/dispatch.js";
import { registerLogs } from "./commands/logs.js";
import { registerRuns } from "./commands/runs.js";
import { registerServices } from "./commands/up.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

// Errors end here: one line naming what failed (never a stack trace), and the documented exit code.
function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pancode: ${message}\n`);
  process.exit(exitCodeFor(err));
}

function run(code: Promise<number>): void {
  code.then((value) => process.exit(value), fail);
}

const program = new Command("pancode")
  .description("PanCode Cluster: dispatch coding agents to worker nodes, each run in its own container")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

registerDispatch(program, run);
registerRuns(program, run);
registerLogs(program, run);
registerApply(program, run);
registerAgents(program, run);
registerServices(program, fail);

program.parseAsync(process.argv).catch(fail);
