import { type RunEventJson, runEventJson } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { printJson } from "../output.js";
import { writeRaw } from "../terminal-text.js";

interface LogsOptions {
  follow?: boolean;
  json?: boolean;
  raw?: boolean;
}

/**
 * `pancode logs <run> [--follow]`: the run's output on stdout, lifecycle notes on stderr. With --follow it keeps
 * streaming until the run ends. On a terminal, control characters of the output are shown escaped; --raw prints
 * the output as the run produced it.
 */
export async function logsCommand(id: string, options: LogsOptions): Promise<number> {
  const print = (stream: NodeJS.WriteStream, text: string) =>
    options.raw ? writeRaw(stream, text) : stream.write(text);
  const api = connect();
  const events: RunEventJson[] = [];
  try {
    for await (const item of api.watchRun({ runId: id, afterSeq: 0, follow: Boolean(options.follow) })) {
      const e = item.event;
      if (!e) continue;
      if (options.json) events.push(runEventJson(e));
      else if (e.kind === "stdout") print(process.stdout, e.text);
      else if (e.kind === "stderr") print(process.stderr, e.text);
      else process.stderr.write(`[${e.kind}] ${e.text}\n`);
    }
    if (options.json) printJson({ runId: (await api.getRun(id)).id, events });
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode diff <run>`: the run's delta patch (git binary diff) on stdout. */
export async function diffCommand(id: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const run = await api.getRun(id);
    const patch = await api.fetchPatch(run.id);
    if (options.json) {
      printJson({ runId: run.id, patch: run.patch ?? null, text: patch.toString("utf8") });
    } else {
      // A patch must apply byte for byte when redirected; shown on a terminal, it is escaped like any run text.
      if (process.stdout.isTTY) process.stdout.write(patch);
      else writeRaw(process.stdout, patch);
      if (patch.length === 0) process.stderr.write(`run ${run.id} changed nothing\n`);
    }
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode logs` and `pancode diff`. */
export function registerLogs(program: Command, run: CommandRunner): void {
  program
    .command("logs")
    .description("print a run's output")
    .argument("<run>", "run id or prefix")
    .option("-f, --follow", "keep streaming until the run ends")
    .option("--raw", "print the output byte for byte, control characters included (escaped on a terminal otherwise)")
    .option("--json", "print one JSON document")
    .action((id: string, options: LogsOptions) => run("logs", () => logsCommand(id, options)));
  program
    .command("diff")
    .description("print a run's delta patch")
    .argument("<run>", "run id or prefix")
    .option("--json", "print one JSON document")
    .action((id: string, options: { json?: boolean }) => run("diff", () => diffCommand(id, options)));
}
