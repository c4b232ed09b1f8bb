import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { UsageError } from "../client/exit-status.js";
import { startSnapshot } from "../client/submit/early-snapshot.js";
import { isRunToken, sessionSafety } from "../client/submit/safety-level.js";
import { type DispatchFlags, parseTimeout, submitOptions } from "./submit-flags.js";

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
  // Usage errors come first, before anything is written; then git takes the snapshot while the gRPC client loads.
  // A nested dispatch (run token) runs on its parent's workspace: nothing to snapshot.
  const snapshot = isRunToken(env.connection().token) ? undefined : startSnapshot(env.cwd);
  const { runDispatch } = await import("./dispatch-run.js");
  return runDispatch(env, { ...submit, safety, task, agent: options.agent, timeoutMs, snapshot }, options);
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
