import { type ClientApi, type RunInfo, runJson } from "@pancode/proto";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { waitForRun } from "../client/follow/wait.js";
import { formatMergeReport, type MergeBackResult, mergeBack, mergeBlocked } from "../client/merge/merge-back.js";
import { sessionSafety } from "../client/submit/safety-level.js";
import { submitDispatch } from "../client/submit/submit.js";
import { mergeJson } from "../orchestration-json.js";
import { formatCost, formatDuration, printJson } from "../output.js";
import { parseTimeout, type SubmitFlags, submitOptions } from "./submit-flags.js";

interface DispatchFlags extends SubmitFlags {
  agent?: string;
  wait?: boolean;
  json?: boolean;
  timeout?: string;
}

async function watchLive(api: ClientApi, runId: string): Promise<RunInfo> {
  const { watchRuns } = await import("../client/watch/watch-runs.js");
  await watchRuns(api, { runIds: [runId], out: process.stderr });
  return api.getRun(runId);
}

/** Runs a dispatch and, with --wait, follows it and merges its patch back; returns the exit code. */
export async function dispatchCommand(task: string, options: DispatchFlags): Promise<number> {
  if (task.trim() === "")
    throw new UsageError(
      'the task is empty: say what the agent should do, e.g. pancode dispatch "npm test" --agent shell',
    );
  const submit = submitOptions(options);
  const timeoutMs = parseTimeout(options.timeout);
  const env = cliEnv();
  const safety = sessionSafety(options.safety, env);
  const api = connect(env);
  try {
    const answer = await submitDispatch(api, env, { ...submit, safety, task, agent: options.agent, timeoutMs });
    const run = answer.run;
    for (const warning of answer.warnings) process.stderr.write(`warning: ${warning}\n`);
    if (!options.wait) {
      if (options.json) printJson(runJson(run));
      else
        process.stdout.write(
          `dispatched run ${run.id} (agent ${run.agent}); follow it with: pancode logs ${run.id.slice(0, 8)} --follow\n`,
        );
      return EXIT.ok;
    }
    // On a terminal, the live view of `pancode watch` on stderr (loaded only then: it parses agent events with
    // schemas that a script's `dispatch --wait` would load for nothing); otherwise the plain progress lines.
    const final =
      process.stderr.isTTY && !options.json
        ? await watchLive(api, run.id)
        : await waitForRun(api, run.id, { progress: !options.json, echoOutput: !options.json });
    let merge: MergeBackResult | undefined;
    // A nested sub-run's patch stays on the coordinator (no git in the container): review it with pancode diff.
    if (!answer.nested && final.status === "done" && !final.isolate && final.patch && final.patch.bytes > 0) {
      merge = await mergeBack(api, final, env);
    }
    if (options.json) {
      printJson({
        ...runJson(final),
        merge: merge ? mergeJson(merge) : null,
      });
    } else {
      process.stdout.write(
        `run ${final.id} ${final.status}${final.error ? `: ${final.error}` : ""} (${formatDuration(final.durationMs >= 0 ? final.durationMs : null)}, ${formatCost(final.costUsd)})\n`,
      );
      if (merge) process.stdout.write(`${formatMergeReport(merge)}\n`);
      else if (final.isolate && final.patch && final.patch.bytes > 0) {
        process.stdout.write(
          `isolated: review with pancode diff ${final.id.slice(0, 8)}, merge with pancode apply ${final.id.slice(0, 8)}\n`,
        );
      }
    }
    if (mergeBlocked(merge)) return EXIT.conflict;
    return final.status === "done" ? EXIT.ok : EXIT.runFailed;
  } finally {
    api.close();
  }
}

/** Registers `pancode dispatch`. */
export function registerDispatch(program: Command, run: CommandRunner): void {
  program
    .command("dispatch")
    .description("run a task on the cluster over your exact working state")
    .argument("<task>", "what the agent should do (for the shell agent: a shell command)")
    .option("-a, --agent <name>", "agent to run (default: the cluster's default agent, dev)")
    .option("--isolate", "do not touch the working tree; review with diff, merge with apply")
    .option("-w, --wait", "follow the run, then merge its patch into the working tree")
    .option("--mode <mode>", "session mode: plan | build | review (default PANCODE_MODE or build)")
    .option("--model <provider/id>", "model override for this dispatch")
    .option("--max-cost <usd>", "stop the run once its cost passes this many USD (default PANCODE_PER_RUN_BUDGET)")
    .option(
      "--safety <level>",
      "session safety level: suggest | auto-edit | full-auto (default PANCODE_SAFETY or auto-edit)",
    )
    .option("--timeout <duration>", "stop the run after this long, e.g. 90s, 5m (default: the agent's timeout)")
    .option("--json", "print one JSON document")
    .action((task: string, options: DispatchFlags) => run("dispatch", () => dispatchCommand(task, options)));
}
