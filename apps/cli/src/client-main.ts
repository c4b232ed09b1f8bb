/**
 * Entry point of the self-contained pancode client that workers lend to runs for nested dispatch (bundled into
 * dist/client/pancode.mjs by scripts/bundle-client.mjs, mounted read-only at /opt/pancode in agent containers).
 * It carries only what a run may do with its run token: dispatch a sub-run and follow it. No services, no
 * telemetry exporter, no git beyond what a normal dispatch from a checkout needs.
 *
 * ```sh
 * pancode dispatch "npm test" --agent shell --wait     # inside a run: a sub-run on the same workspace
 * ```
 */
import { Command } from "commander";
import type { CommandRunner } from "./client/command-runner.js";
import { EXIT, exitCodeFor } from "./client/exit-codes.js";
import { registerDispatch } from "./commands/dispatch.js";
import { guardTerminal } from "./terminal-text.js";

// Everything printed passes the control-character guard: run output, file names and error messages embedding run
// text are shown, never obeyed by a terminal (`logs --raw` and `diff` into a pipe are the byte-exact exceptions).
guardTerminal(process.stdout);
guardTerminal(process.stderr);

// Errors end here: one line naming what failed, and the documented exit code (4 for a refused dispatch).
function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pancode: ${message}\n`);
  process.exit(exitCodeFor(err));
}

const run: CommandRunner = (_name, command) => {
  command().then((code) => process.exit(code), fail);
};

const program = new Command("pancode")
  .description("PanCode client inside a run: dispatch sub-runs on the run's workspace")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  });
registerDispatch(program, run);
program.parseAsync(process.argv).catch(fail);
