/**
 * Entry point of the pancode CLI. It imports only the module of the command being run (see command-table.ts), and
 * telemetry only when OTEL_* variables ask for it: a command's start-up costs what that command uses, nothing more.
 */
import { Command } from "commander";
import type { CommandRunner } from "./client/command-runner.js";
import { selectContext, takeContextFlag } from "./client/contexts/selection.js";
import { EXIT } from "./client/exit-status.js";
import { registerAllCommands, registerCommand } from "./command-table.js";
import { guardTerminal } from "./terminal-text.js";

// Everything printed passes the control-character guard: run output, file names and error messages embedding run
// text are shown, never obeyed by a terminal (`logs --raw` and `diff` into a pipe are the byte-exact exceptions).
guardTerminal(process.stdout);
guardTerminal(process.stderr);

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
  import("./client/exit-codes.js").then(
    ({ exitCodeFor }) => exit(exitCodeFor(err)),
    () => exit(EXIT.usage),
  );
}

/** Runs commands plainly; replaced by a traced runner when telemetry starts. */
let traced = (_name: string, command: () => Promise<number>): Promise<number> => command();

/** The global --context flag, taken out of argv before commander parses it. */
let contextFlag: string | undefined;

// The context is settled when a command runs (not for --version or --help), and config.yaml is read only when the
// environment does not already say where to connect.
const run: CommandRunner = (name, command) => {
  selectContext(process.env, contextFlag)
    .then(() => traced(name, command))
    .then((code) => exit(code), fail);
};

/**
 * The trace of a dispatch starts here: with an OTEL_* exporter configured, each command is a span whose context
 * travels in gRPC metadata to the coordinator, then over NATS to the worker and into the container as TRACEPARENT.
 * Without any OTEL_* variable @pancode/telemetry is never loaded; with one, startTelemetry loads the SDK only when
 * an exporter is configured.
 */
async function startTracing(env: NodeJS.ProcessEnv): Promise<void> {
  if (!Object.entries(env).some(([key, value]) => key.startsWith("OTEL_") && value)) return;
  const { startTelemetry, withSpan } = await import("@pancode/telemetry");
  const telemetry = await startTelemetry({ serviceName: "pancode-cli", env });
  shutdownTelemetry = () => telemetry.shutdown();
  traced = (name, command) => withSpan(`pancode ${name}`, { "pancode.command": name }, command);
}

const program = new Command("pancode")
  .description("PanCode Cluster: dispatch coding agents to worker nodes, each run in its own container")
  .version("0.1.0")
  .showHelpAfterError()
  // Taken out of argv before parsing (it is global, accepted anywhere before `--`); declared for --help only.
  .option(
    "--context <name>",
    "the saved context to use (pancode context list); else PANCODE_CONTEXT, then the current one",
  )
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });

/** Registers what `argv` needs: nothing for --version, the invoked command's module, or everything (help, unknown). */
async function registerFor(argv: string[]): Promise<void> {
  const first = argv[2] ?? "";
  if (first === "--version" || first === "-V") return;
  if (!(await registerCommand(program, run, first))) await registerAllCommands(program, run);
}

/** Takes the global --context flag out of argv, then registers and runs the command with the rest. */
async function main(): Promise<void> {
  const { argv, context } = takeContextFlag(process.argv);
  contextFlag = context;
  await startTracing(process.env);
  await registerFor(argv);
  await program.parseAsync(argv);
}

main().catch(fail);
