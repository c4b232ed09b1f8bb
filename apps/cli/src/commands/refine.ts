import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { UsageError } from "../client/exit-codes.js";
import { prepareSubmission } from "../client/submit/submission.js";
import { finishChainCommand } from "./chain.js";
import { type SubmitFlags, submitOptions } from "./submit-flags.js";

interface RefineOptions extends SubmitFlags {
  builder?: string;
  reviewer?: string;
  maxRounds?: string;
  reviewTask?: string;
  wait?: boolean;
  json?: boolean;
}

/** `pancode refine`: build, review, rebuild with the review as input, until approved or out of rounds. */
export async function refineCommand(task: string, options: RefineOptions): Promise<number> {
  if (task.trim() === "") throw new UsageError("the task is empty: say what the builder should do");
  const maxRounds = options.maxRounds === undefined ? 3 : Number(options.maxRounds);
  if (!Number.isInteger(maxRounds) || maxRounds < 1 || maxRounds > 10) {
    throw new UsageError(`--max-rounds must be a whole number from 1 to 10, got "${options.maxRounds}"`);
  }
  const env = cliEnv();
  const api = connect(env);
  try {
    const submission = await prepareSubmission(api, env, submitOptions(options));
    const chain = await api.createChain({
      ...submission,
      steps: [],
      originalTask: task,
      refine: {
        builder: options.builder ?? "builder",
        reviewer: options.reviewer ?? "reviewer",
        maxRounds,
        reviewTask: options.reviewTask ?? "",
      },
    });
    return await finishChainCommand(api, chain, options);
  } finally {
    api.close();
  }
}

/** Registers `pancode refine`. */
export function registerRefine(program: Command, run: CommandRunner): void {
  program
    .command("refine")
    .description("review-fix loop: build, review, rebuild with the review until the reviewer approves")
    .argument("<task>", "what the builder should do ($INPUT in it: the last review)")
    .option("--builder <agent>", "agent that builds (default builder)")
    .option(
      "--reviewer <agent>",
      "agent that reviews and ends with VERDICT: APPROVED or CHANGES_REQUESTED (default reviewer)",
    )
    .option("--max-rounds <n>", "reviews at most (default 3)")
    .option("--review-task <text>", "the reviewer's task ($ORIGINAL, $INPUT = the builder's output)")
    .option("--isolate", "do not touch the working tree")
    .option("-w, --wait", "follow the loop and merge the result when approved")
    .option("--mode <mode>", "session mode: plan | build | review (default PANCODE_MODE or build)")
    .option("--model <provider/id>", "model override for every step")
    .option("--max-cost <usd>", "per-run cost cap in USD")
    .option(
      "--safety <level>",
      "session safety level: suggest | auto-edit | full-auto (default PANCODE_SAFETY or auto-edit)",
    )
    .option("--json", "print one JSON document")
    .action((task: string, options: RefineOptions) => run("refine", () => refineCommand(task, options)));
}
