/**
 * Entry point of the PanCode service host (`pancode-server`, also reached through `pancode up|coordinator|worker`):
 * it runs the coordinator and worker services, which the client (`pancode`) never loads.
 *
 * ```sh
 * pancode-server up --workers 2          # a whole cluster in one process (PGlite, in-process bus, Docker)
 * pancode-server coordinator             # the coordinator service, configured by DATABASE_URL, NATS_URL, PANCODE_*
 * pancode-server worker                  # a worker node, configured by PANCODE_COORDINATOR, NATS_URL, ...
 * ```
 */
import { ConfigError } from "@pancode/config";
import { runCoordinatorService } from "@pancode/coordinator";
import { runWorkerService } from "@pancode/worker";
import { Command, Option } from "commander";
import { withClientDir } from "./client-bundle.js";
import { type LogFormatChoice, logOptions } from "./log-format.js";
import { type UpOptions, upCommand } from "./up.js";
import { UsageError } from "./usage-error.js";

// Errors end here: one line naming what failed (never a stack trace); 2 for bad usage or configuration, else 1.
function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pancode-server: ${message}\n`);
  process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
}

const program = new Command("pancode-server")
  .description("PanCode Cluster service host: a whole local cluster, or the coordinator or a worker alone")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

/** `--log-format`: readable lines on a terminal, JSON when stderr is piped, unless chosen. */
const logFormatOption = () =>
  new Option("--log-format <format>", "log lines as json or text (default: text on a terminal, else json)").choices([
    "json",
    "text",
  ]);
type WithLogFormat = { logFormat?: LogFormatChoice };
const logFor = (options: WithLogFormat) => logOptions(options.logFormat, process.stderr.isTTY, process.env);

program
  .command("up")
  .description("run a whole cluster on this machine: coordinator plus workers (embedded defaults)")
  .option("--workers <n>", "number of workers", "1")
  .option("--data-dir <dir>", "state directory (default PANCODE_DATA_DIR or ~/.pancode)")
  .option("--port <port>", "gRPC port", "7400")
  .addOption(logFormatOption())
  .action((options: UpOptions & WithLogFormat) => upCommand(options, process.env, logFor(options)).catch(fail));
program
  .command("coordinator")
  .description("run the coordinator service (configured by DATABASE_URL, NATS_URL, PANCODE_* variables)")
  .addOption(logFormatOption())
  .action((options: WithLogFormat) => runCoordinatorService(process.env, logFor(options)).catch(fail));
program
  .command("worker")
  .description("run a worker node (configured by PANCODE_COORDINATOR, NATS_URL, PANCODE_WORKER_TOKEN, ...)")
  .addOption(logFormatOption())
  .action((options: WithLogFormat) => runWorkerService(withClientDir(process.env), logFor(options)).catch(fail));

program.parseAsync(process.argv).catch(fail);
