import { readFile } from "node:fs/promises";
import type { BatchItem } from "@pancode/proto";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { followBatch } from "../client/follow/orchestration-follow.js";
import { formatMergeReport, mergeBlocked } from "../client/merge/merge-back.js";
import { BATCH_DEFAULTS, prepareSubmission } from "../client/submit/submission.js";
import { watchBatch } from "../client/watch/watch-group.js";
import { batchJson, batchResultJson, formatCounts } from "../orchestration-json.js";
import { formatCost, printJson, shortId, table } from "../output.js";
import { type SubmitFlags, submitOptions } from "./submit-flags.js";

interface BatchOptions extends SubmitFlags {
  task?: string[];
  agent?: string;
  agents?: string;
  team?: string;
  file?: string;
  concurrency?: string;
  staggerMs?: string;
  wait?: boolean;
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function intOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/**
 * Items of a tasks file: a YAML list whose entries are a task string or `{task, agent?}`, or `{tasks: [...]}`.
 * Exported for unit tests.
 */
export function parseTasksFile(text: string, path: string): { task: string; agent: string }[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(list)) throw new UsageError(`${path} must be a list of tasks (or have a "tasks:" list)`);
  return list.map((entry, i) => {
    if (typeof entry === "string") return { task: entry, agent: "" };
    const item = entry as { task?: unknown; agent?: unknown } | null;
    if (!item || typeof item.task !== "string" || (item.agent !== undefined && typeof item.agent !== "string")) {
      throw new UsageError(`${path}: item ${i + 1} needs a "task" string and an optional "agent" string`);
    }
    return { task: item.task, agent: item.agent ?? "" };
  });
}

/** The items of a batch from the command line: --task (repeated), --file, or --agents with one target. */
export async function batchItems(target: string | undefined, options: BatchOptions): Promise<BatchItem[]> {
  const tasks = [...(options.task ?? []), ...(target ? [target] : [])];
  const items: { task: string; agent: string }[] = tasks.map((task) => ({ task, agent: options.agent ?? "" }));
  if (options.file) {
    const path = options.file;
    const text = await readFile(path, "utf8").catch((err: Error) => {
      throw new UsageError(`cannot read ${path}: ${err.message}`);
    });
    items.push(...parseTasksFile(text, path).map((i) => ({ task: i.task, agent: i.agent || options.agent || "" })));
  }
  if (options.agents) {
    const agents = options.agents
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean);
    if (tasks.length !== 1 || options.file)
      throw new UsageError("--agents takes exactly one task: the target to review");
    return agents.map((agent) => ({ task: tasks[0] as string, agent, runId: "", error: "" }));
  }
  if (items.length === 0) throw new UsageError('a batch needs tasks: --task "..." (repeatable) or --file tasks.yaml');
  const empty = items.findIndex((i) => i.task.trim() === "");
  if (empty >= 0) throw new UsageError(`task ${empty + 1} of the batch is empty`);
  return items.map((i) => ({ ...i, runId: "", error: "" }));
}

/** `pancode batch`: starts a batch on the coordinator; with --wait follows it and merges patches as runs end. */
export async function batchCommand(target: string | undefined, options: BatchOptions): Promise<number> {
  if (options.agent && options.team) throw new UsageError("give --agent or --team, not both");
  const items = await batchItems(target, options);
  const concurrency = intOption("concurrency", options.concurrency, BATCH_DEFAULTS.concurrency, 1, 64);
  const staggerMs = intOption("stagger-ms", options.staggerMs, BATCH_DEFAULTS.staggerMs, 0, 60_000);
  const env = cliEnv();
  const api = connect(env);
  try {
    const submission = await prepareSubmission(api, env, submitOptions(options));
    const batch = await api.createBatch({ ...submission, items, concurrency, staggerMs, team: options.team ?? "" });
    if (!options.wait) {
      if (options.json) printJson(batchJson(batch));
      else {
        process.stdout.write(
          `batch ${batch.id}: ${batch.items.length} task(s), ${batch.concurrency} at a time; follow it with: pancode batches ${shortId(batch.id)}\n`,
        );
      }
      return EXIT.ok;
    }
    // On a terminal, the live view of `pancode watch --batch` on stderr; otherwise the plain lines scripts read.
    const live = process.stderr.isTTY === true && !options.json;
    // A merge report written to the same terminal while the view redraws would break its cursor arithmetic.
    const deferred: string[] = [];
    const stopView = new AbortController();
    const view = live ? watchBatch(api, batch.id, { out: process.stderr, signal: stopView.signal }) : undefined;
    // The view only shows progress; followBatch decides the outcome and merges, so a failed view ends quietly.
    const viewed = view?.catch(() => undefined);
    const { batch: final, merges } = await followBatch(api, batch.id, env, {
      progress: !options.json && !live,
      onRunEnded: (run, merge) => {
        if (merge && !options.json) {
          const line = `run ${shortId(run.id)} (${run.agent}): ${formatMergeReport(merge)}\n`;
          if (live && process.stdout.isTTY) deferred.push(line);
          else process.stdout.write(line);
        }
      },
    }).catch((err: unknown) => {
      stopView.abort();
      throw err;
    });
    await viewed;
    for (const line of deferred) process.stdout.write(line);
    if (options.json) printJson(batchResultJson(final, merges));
    else {
      process.stdout.write(
        `batch ${final.id} ${final.status}: ${formatCounts(final.counts)} (${formatCost(final.costUsd)})${final.error ? `; ${final.error}` : ""}\n`,
      );
    }
    if (merges.some((m) => mergeBlocked(m.merge))) return EXIT.conflict;
    return final.status === "done" ? EXIT.ok : EXIT.runFailed;
  } finally {
    api.close();
  }
}

/** `pancode batches [id]`: the batch history with task counts, or one batch with its items. */
export async function batchesCommand(id: string | undefined, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    if (id) {
      const batch = await api.getBatch(id);
      if (options.json) {
        printJson(batchJson(batch));
        return EXIT.ok;
      }
      process.stdout.write(
        `batch ${batch.id} ${batch.status}: ${batch.items.length} task(s), ${formatCounts(batch.counts)}, ${formatCost(batch.costUsd)}\n`,
      );
      const byId = new Map(batch.runs.map((r) => [r.id, r]));
      const rows = batch.items.map((item, i) => [
        String(i + 1),
        item.agent || "-",
        item.runId ? shortId(item.runId) : "-",
        item.error ? "refused" : (byId.get(item.runId)?.status ?? "waiting"),
        item.task.replace(/\s+/g, " ").slice(0, 48),
      ]);
      process.stdout.write(`${table(["#", "AGENT", "RUN", "STATUS", "TASK"], rows)}\n`);
      return EXIT.ok;
    }
    const batches = await api.listBatches(50);
    if (options.json) {
      printJson({ batches: batches.map(batchJson) });
      return EXIT.ok;
    }
    if (batches.length === 0) {
      process.stdout.write("no batches yet\n");
      return EXIT.ok;
    }
    const rows = batches.map((b) => [
      shortId(b.id),
      b.status,
      String(b.items.length),
      formatCounts(b.counts),
      formatCost(b.costUsd),
      b.createdAt.slice(0, 19).replace("T", " "),
    ]);
    process.stdout.write(`${table(["BATCH", "STATUS", "TASKS", "RUNS", "COST", "CREATED"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode batch` and `pancode batches`. */
export function registerBatch(program: Command, run: CommandRunner): void {
  program
    .command("batch")
    .description("run several tasks (or one task by several agents) in parallel, each in its own container")
    .argument("[task]", "a task (with --agents: the target every agent works on)")
    .option("-t, --task <task>", "a task of the batch (repeatable)", collect)
    .option("-f, --file <tasks.yaml>", "tasks from a YAML list of {task, agent?}")
    .option("-a, --agent <name>", "agent for every task without one")
    .option("--agents <a,b,c>", "run the one task with each of these agents")
    .option("--team <name>", "run every task with each member of this team")
    .option("-c, --concurrency <n>", "runs at once (default 4)")
    .option("--stagger-ms <ms>", "pause between two starts (default 150)")
    .option("--isolate", "do not touch the working tree")
    .option("-w, --wait", "follow the batch and merge each patch as its run ends")
    .option("--mode <mode>", "session mode: plan | build | review (default PANCODE_MODE or build)")
    .option("--model <provider/id>", "model override for every run")
    .option("--max-cost <usd>", "per-run cost cap in USD")
    .option(
      "--safety <level>",
      "session safety level: suggest | auto-edit | full-auto (default PANCODE_SAFETY or auto-edit)",
    )
    .option("--json", "print one JSON document")
    .action((task: string | undefined, options: BatchOptions) => run("batch", () => batchCommand(task, options)));
  program
    .command("batches")
    .description("batch history with task counts, or one batch")
    .argument("[id]", "a batch id (or unique prefix)")
    .option("--json", "print one JSON document")
    .action((id: string | undefined, options: { json?: boolean }) => run("batches", () => batchesCommand(id, options)));
}
