import { startTelemetry, type TelemetryHandle, withSpan } from "@pancode/telemetry";
import { Command } from "commander";
import type { CommandRunner } from "./command-runner.js";
import { registerAgents } from "./commands/agents.js";
import { registerApply } from "./commands/apply.js";
import { registerAudit } from "./commands/audit.js";
import { registerBatch } from "./commands/batch.js";
import { registerBudget } from "./commands/budget.js";
import { registerChain } from "./commands/chain.js";
import { registerCost } from "./commands/cost.js";
import { registerDispatch } from "./commands/dispatch.js";
import { registerDrain } from "./commands/drain.js";
import { registerKeys } from "./commands/keys.js";
import { registerLogs } from "./commands/logs.js";
import { registerMcp } from "./commands/mcp.js";
import { registerMode } from "./commands/mode.js";
import { registerReceipt } from "./commands/receipt.js";
import { registerRefine } from "./commands/refine.js";
import { registerRuns } from "./commands/runs.js";
import { registerStoprun } from "./commands/stoprun.js";
import { registerServices } from "./commands/services.js";
import { registerWatch } from "./commands/watch.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";

// The trace of a dispatch starts here: with OTEL_* set, each command is a span whose context travels in gRPC
// metadata to the coordinator, then over NATS to the worker and into the container as TRACEPARENT.
let telemetry: TelemetryHandle | undefined;

async function exit(code: number): Promise<never> {
  await telemetry?.shutdown().catch(() => {});
  process.exit(code);
}

// Errors end here: one line naming what failed (never a stack trace), and the documented exit code.
function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pancode: ${message}\n`);
  void exit(exitCodeFor(err));
}

const run: CommandRunner = (name, command) => {
  withSpan(`pancode ${name}`, { "pancode.command": name }, command).then((code) => exit(code), fail);
};

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
registerReceipt(program, run);
registerKeys(program, run);
registerBudget(program, run);
registerAudit(program, run);
registerDrain(program, run);
registerMode(program, run);
registerBatch(program, run);
registerChain(program, run);
registerRefine(program, run);
registerStoprun(program, run);
registerWatch(program, run);
registerCost(program, run);
registerMcp(program, run);
registerServices(program, run);

// Service commands run in the service host (pancode-server), which starts its own telemetry.
const serviceCommand = ["up", "coordinator", "worker"].includes(process.argv[2] ?? "");
(serviceCommand ? Promise.resolve(undefined) : startTelemetry({ serviceName: "pancode-cli", env: process.env }))
  .then((handle) => {
    telemetry = handle;
    return program.parseAsync(process.argv);
  })
  .catch(fail);
