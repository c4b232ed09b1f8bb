import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT } from "../exit-codes.js";
import { printJson } from "../output.js";

/**
 * `pancode logs <run> [--follow]`: the run's output on stdout, lifecycle notes on stderr. With --follow it keeps
 * streaming until the run ends.
 */
export async function logsCommand(id: string, options: { follow?: boolean; json?: boolean }): Promise<number> {
  const api = connect();
  const events: { seq: number; at: string; kind: string; text: string }[] = [];
  try {
    for await (const item of api.watchRun({ runId: id, afterSeq: 0, follow: Boolean(options.follow) })) {
      const e = item.event;
      if (!e) continue;
      if (options.json) events.push({ seq: e.seq, at: e.at, kind: e.kind, text: e.text });
      else if (e.kind === "stdout") process.stdout.write(e.text);
      else if (e.kind === "stderr") process.stderr.write(e.text);
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
      process.stdout.write(patch);
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
    .option("--json", "print one JSON document")
    .action((id: string, options: { follow?: boolean; json?: boolean }) => run("logs", () => logsCommand(id, options)));
  program
    .command("diff")
    .description("print a run's delta patch")
    .argument("<run>", "run id or prefix")
    .option("--json", "print one JSON document")
    .action((id: string, options: { json?: boolean }) => run("diff", () => diffCommand(id, options)));
}
