import { readFile } from "node:fs/promises";
import type { ChainInfo, ChainStep, ClientApi, CreateChainRequest } from "@pancode/proto";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { followChain } from "../client/follow/orchestration-follow.js";
import { formatMergeReport, mergeBlocked } from "../client/merge/merge-back.js";
import { prepareSubmission } from "../client/submit/submission.js";
import { watchChain } from "../client/watch/watch-group.js";
import { chainJson, chainResultJson, formatCounts } from "../orchestration-json.js";
import { formatCost, printJson, shortId, table } from "../output.js";
import { type SubmitFlags, submitOptions } from "./submit-flags.js";

interface ChainOptions extends SubmitFlags {
  step?: string[];
  file?: string;
  task?: string;
  wait?: boolean;
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `agent:task` (the agent name is everything before the first colon). Exported for unit tests. */
export function parseStep(value: string): ChainStep {
  const colon = value.indexOf(":");
  const agent = colon > 0 ? value.slice(0, colon).trim() : "";
  const task = colon > 0 ? value.slice(colon + 1) : "";
  if (!/^[a-z0-9][a-z0-9-]*$/.test(agent) || task.trim() === "") {
    throw new UsageError(`--step must be agent:"task", e.g. --step planner:"Analyze the auth module"; got "${value}"`);
  }
  return { agent, task };
}

/** Steps of a chain file: a YAML list of {agent, task}, or `{task?: original, steps: [...]}`. */
export function parseChainFile(text: string, path: string): { steps: ChainStep[]; original: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
  const obj = doc as { steps?: unknown; task?: unknown } | null;
  const list = Array.isArray(doc) ? doc : obj?.steps;
  if (!Array.isArray(list)) throw new UsageError(`${path} must be a list of steps (or have a "steps:" list)`);
  const steps = list.map((entry, i) => {
    const s = entry as { agent?: unknown; task?: unknown } | null;
    if (!s || typeof s.agent !== "string" || typeof s.task !== "string") {
      throw new UsageError(`${path}: step ${i + 1} needs "agent" and "task" strings`);
    }
    return { agent: s.agent, task: s.task };
  });
  return { steps, original: !Array.isArray(doc) && typeof obj?.task === "string" ? obj.task : "" };
}

/** Follows a chain to its end, merges its combined changes (not isolated, done) and prints the outcome. */
export async function finishChainCommand(api: ClientApi, chain: ChainInfo, options: ChainOptions): Promise<number> {
  if (!options.wait) {
    if (options.json) printJson(chainJson(chain));
    else {
      process.stdout.write(
        `${chain.kind} ${chain.id} started (${chain.totalSteps} step(s) at most); follow it with: pancode chains ${shortId(chain.id)}\n`,
      );
    }
    return EXIT.ok;
  }
  // On a terminal, the live view of `pancode watch --chain` on stderr; otherwise the plain lines scripts read.
  const live = process.stderr.isTTY === true && !options.json;
  // The view only shows progress: followChain decides the outcome (at once, once the view saw the end) and merges.
  if (live) await watchChain(api, chain.id, { out: process.stderr }).catch(() => undefined);
  const { chain: final, merge } = await followChain(api, chain.id, cliEnv(), {
    progress: !options.json && !live,
  });
  if (options.json) {
    printJson(chainResultJson(final, merge));
  } else {
    const verdict = final.verdict ? `, verdict ${final.verdict} after ${final.rounds} round(s)` : "";
    const why = final.error ? `: ${final.error}` : "";
    process.stdout.write(
      `${final.kind} ${final.id} ${final.status}${why} (${final.runs.length} step(s)${verdict}, ${formatCost(final.costUsd)})\n`,
    );
    if (merge) process.stdout.write(`${formatMergeReport(merge)}\n`);
  }
  if (mergeBlocked(merge)) return EXIT.conflict;
  return final.status === "done" ? EXIT.ok : EXIT.runFailed;
}

/** `pancode chain`: steps run one after the other on the coordinator, each from the state the previous left. */
export async function chainCommand(options: ChainOptions): Promise<number> {
  const steps = (options.step ?? []).map(parseStep);
  let original = options.task ?? "";
  if (options.file) {
    const path = options.file;
    const text = await readFile(path, "utf8").catch((err: Error) => {
      throw new UsageError(`cannot read ${path}: ${err.message}`);
    });
    const parsed = parseChainFile(text, path);
    steps.push(...parsed.steps);
    original ||= parsed.original;
  }
  if (steps.length === 0)
    throw new UsageError('a chain needs steps: --step agent:"task" (repeatable) or --file chain.yaml');
  const env = cliEnv();
  const api = connect(env);
  try {
    const submission = await prepareSubmission(api, env, submitOptions(options));
    const request: CreateChainRequest = { ...submission, steps, originalTask: original, refine: undefined };
    return await finishChainCommand(api, await api.createChain(request), options);
  } finally {
    api.close();
  }
}

/** `pancode chains [id]`: chain history, or one chain with its steps. */
export async function chainsCommand(id: string | undefined, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    if (id) {
      const chain = await api.getChain(id);
      if (options.json) {
        printJson(chainJson(chain));
        return EXIT.ok;
      }
      const why = chain.error ? ` (${chain.error})` : "";
      process.stdout.write(`${chain.kind} ${chain.id} ${chain.status}${why}, ${formatCost(chain.costUsd)}\n`);
      const rows = chain.runs.map((r, i) => [
        String(i + 1),
        r.agent,
        shortId(r.id),
        r.status,
        r.task.replace(/\s+/g, " ").slice(0, 48),
      ]);
      process.stdout.write(`${table(["STEP", "AGENT", "RUN", "STATUS", "TASK"], rows)}\n`);
      return EXIT.ok;
    }
    const chains = await api.listChains(50);
    if (options.json) {
      printJson({ chains: chains.map(chainJson) });
      return EXIT.ok;
    }
    if (chains.length === 0) {
      process.stdout.write("no chains yet\n");
      return EXIT.ok;
    }
    const rows = chains.map((c) => [
      shortId(c.id),
      c.kind,
      c.status,
      String(c.steps.length),
      formatCounts(c.counts),
      formatCost(c.costUsd),
      c.createdAt.slice(0, 19).replace("T", " "),
    ]);
    process.stdout.write(`${table(["CHAIN", "KIND", "STATUS", "STEPS", "RUNS", "COST", "CREATED"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode chain` and `pancode chains`. */
export function registerChain(program: Command, run: CommandRunner): void {
  program
    .command("chain")
    .description("run steps one after the other; each gets the previous output ($INPUT) and its changes")
    .option("-s, --step <agent:task>", 'a step, e.g. planner:"Analyze the auth module" (repeatable, in order)', collect)
    .option("-f, --file <chain.yaml>", "steps from a YAML list of {agent, task}")
    .option("--task <text>", "the original task ($ORIGINAL; default: the first step's task)")
    .option("--isolate", "do not touch the working tree")
    .option("-w, --wait", "follow the chain and merge its combined changes at the end")
    .option("--mode <mode>", "session mode: plan | build | review (default PANCODE_MODE or build)")
    .option("--model <provider/id>", "model override for every step")
    .option("--max-cost <usd>", "per-run cost cap in USD")
    .option(
      "--safety <level>",
      "session safety level: suggest | auto-edit | full-auto (default PANCODE_SAFETY or auto-edit)",
    )
    .option("--json", "print one JSON document")
    .action((options: ChainOptions) => run("chain", () => chainCommand(options)));
  program
    .command("chains")
    .description("chain and refine history, or one chain with its steps")
    .argument("[id]", "a chain id (or unique prefix)")
    .option("--json", "print one JSON document")
    .action((id: string | undefined, options: { json?: boolean }) => run("chains", () => chainsCommand(id, options)));
}
