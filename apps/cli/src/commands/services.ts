import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { EXIT } from "../client/exit-status.js";

/** The service commands, which live in the service host (@pancode/server, `pancode-server`). */
const SERVICES: [name: string, description: string][] = [
  ["up", "run a whole cluster on this machine: coordinator plus workers (runs pancode-server up)"],
  ["coordinator", "run the coordinator service (runs pancode-server coordinator)"],
  ["worker", "run a worker node (runs pancode-server worker)"],
];

const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The service host's entry point when @pancode/server is installed next to this client, else ''. */
function serverEntry(): string {
  try {
    return createRequire(import.meta.url).resolve("@pancode/server/main");
  } catch {
    return "";
  }
}

/**
 * Runs `pancode-server <args>` in a child process that shares this terminal, forwards the signals that stop a
 * service (so Ctrl-C and SIGTERM still drain it) and resolves with its exit code (128 + n when a signal ended it).
 */
export function forwardToServer(args: string[]): Promise<number> {
  const entry = serverEntry();
  if (!entry) {
    process.stderr.write(
      `pancode: \`pancode ${args[0]}\` needs the service host, which is not installed next to this client: ` +
        "install @pancode/server (it provides pancode-server), or run `npm run build` in a checkout\n",
    );
    return Promise.resolve(EXIT.usage);
  }
  const child = spawn(process.execPath, [entry, ...args], { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve) => {
    child.on("error", (err) => {
      process.stderr.write(`pancode: could not start pancode-server: ${err.message}\n`);
      resolve(EXIT.usage);
    });
    child.on("exit", (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/**
 * Registers `pancode up`, `pancode coordinator` and `pancode worker` as forwarders: every argument after the
 * command (including --help) goes to the service host unparsed.
 */
export function registerServices(program: Command, _run: CommandRunner): void {
  for (const [name, description] of SERVICES) {
    program
      .command(name)
      .description(description)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .argument("[args...]")
      .action(async () => {
        const at = process.argv.indexOf(name, 2);
        process.exit(await forwardToServer(process.argv.slice(at)));
      });
  }
}
