/**
 * Entry point of the pancode CLI. It imports only the module of the command being run (see command-table.ts), and
 * so a command's start-up costs only what that command imports.
 */
import { startTelemetry, withSpan } from "@pancode/telemetry";
import { Command } from "commander";
import type { CommandRunner } from "./command-runner.js";
import { registerAllCommands, registerCommand } from "./command-table.js";
import { EXIT } from "./exit-status.js";

/** Shuts down the telemetry SDK when one was started. */
let shutdownTelemetry = async (): Promise<void> => {};

async function exit(code: number): Promise<never> {
  await shutdownTelemetry().catch(() => {});
  process.exit(code);
}

// Errors end here: one line naming what failed (never a stack trace), and the documented exit code.
function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pancode: ${message}\n`);
  import("./exit-codes.js").then(
    ({ exitCodeFor }) => exit(exitCodeFor(err)),
    () => exit(EXIT.usage),
  );
}

// The trace of a dispatch starts here: with OTEL_* set, each command is a span whose context travels in gRPC
// metadata to the coordinator, then over NATS to the worker and into the container as TRACEPARENT.
const run: CommandRunner = (name, command) => {
  withSpan(`pancode ${name}`, { "pancode.command": name }, command).then((code) => exit(code), fail);
};

async function startTracing(env: NodeJS.ProcessEnv): Promise<void> {
  const telemetry = await startTelemetry({ serviceName: "pancode-cli", env });
  shutdownTelemetry = () => telemetry.shutdown();
}

const program = new Command("pancode")
  .description("PanCode Cluster: dispatch coding agents to worker nodes, each run in its own container")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

/** Registers what `argv` needs: nothing for --version, the invoked command's module, or everything (help, unknown). */
async function registerFor(argv: string[]): Promise<void> {
  const first = argv[2] ?? "";
  if (first === "--version" || first === "-V") return;
  if (!(await registerCommand(program, run, first))) await registerAllCommands(program, run);
}

startTracing(process.env)
  .then(() => registerFor(process.argv))
  .then(() => program.parseAsync(process.argv))
  .catch(fail);
