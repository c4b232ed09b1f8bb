import { PanCodeError } from "@pancode/core";
import type { BatchItem } from "@pancode/proto";
import { z } from "zod";
import { followBatch } from "../../client/follow/orchestration-follow.js";
import { BATCH_DEFAULTS, prepareSubmission } from "../../client/submit/submission.js";
import { watchBatch } from "../../client/watch/watch-group.js";
import { batchJson, batchResultJson } from "../../orchestration-json.js";
import { shortId } from "../../output.js";
import { defineTool } from "../tool.js";
import { progressOutput, withLiveView } from "./live-view.js";

const input = {
  tasks: z
    .array(
      z.object({
        task: z.string().min(1).describe("what this run should do"),
        agent: z.string().min(1).optional().describe("agent for this task (default: agent, else the cluster's)"),
      }),
    )
    .min(1)
    .optional()
    .describe("the tasks, each in its own container; or give agents and target instead"),
  agents: z.array(z.string().min(1)).min(1).optional().describe("run the one target with each of these agents"),
  target: z.string().min(1).optional().describe("with agents: the task every agent works on"),
  agent: z.string().min(1).optional().describe("agent for every task without one"),
  team: z.string().min(1).optional().describe("run every task with each member of this team (not with agent)"),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(BATCH_DEFAULTS.concurrency)
    .describe(`runs at once (default ${BATCH_DEFAULTS.concurrency})`),
  isolate: z.boolean().default(false).describe("do not touch the working tree; review the patches later"),
  wait: z.boolean().default(true).describe("follow the batch and merge each patch as its run ends (default)"),
  model: z.string().optional().describe("model override for every run, provider/id"),
};

type Args = z.infer<z.ZodObject<typeof input>>;

/** The items of the batch: `tasks`, or one item per agent of `agents` on `target` (as `pancode batch --agents`). */
export function mcpBatchItems(args: Pick<Args, "tasks" | "agents" | "target" | "agent" | "team">): BatchItem[] {
  if (args.agent && args.team) throw new PanCodeError("INVALID_ARGUMENT", "give agent or team, not both");
  if (args.agents) {
    if (args.tasks || !args.target?.trim()) {
      throw new PanCodeError("INVALID_ARGUMENT", "agents takes exactly one target (and no tasks): what to work on");
    }
    const target = args.target;
    return args.agents.map((agent) => ({ task: target, agent, runId: "", error: "" }));
  }
  if (!args.tasks) throw new PanCodeError("INVALID_ARGUMENT", "a batch needs tasks, or agents and a target");
  const empty = args.tasks.findIndex((t) => t.task.trim() === "");
  if (empty >= 0) throw new PanCodeError("INVALID_ARGUMENT", `task ${empty + 1} of the batch is empty`);
  return args.tasks.map((t) => ({ task: t.task, agent: t.agent ?? args.agent ?? "", runId: "", error: "" }));
}

/**
 * `batch_dispatch`: several tasks (or one target by several agents) in parallel over the working state of the
 * server's repository, as `pancode batch --wait --json` (same upload, gates, PANCODE_MODE and PANCODE_SAFETY).
 */
export const batchDispatchTool = defineTool({
  name: "batch_dispatch",
  description:
    "Run several independent tasks in parallel on the PanCode cluster, each in its own container on the exact " +
    "current working state of this repository (or one target reviewed by several agents). By default the call " +
    "follows the batch and merges each run's changes into the working tree as it ends; isolate: true keeps them " +
    "aside. Returns the batch with every run's status and output and the merge of each.",
  input,
  async run(args, ctx) {
    const items = mcpBatchItems(args);
    const submission = await prepareSubmission(ctx.api, ctx.env, { isolate: args.isolate, model: args.model });
    const batch = await ctx.api.createBatch({
      ...submission,
      items,
      concurrency: args.concurrency,
      staggerMs: BATCH_DEFAULTS.staggerMs,
      team: args.team ?? "",
    });
    if (!args.wait) return batchJson(batch);
    const { batch: final, merges } = await withLiveView(
      ctx,
      (signal) => watchBatch(ctx.api, batch.id, { out: progressOutput(ctx), signal }),
      () =>
        followBatch(ctx.api, batch.id, ctx.env, {
          progress: false,
          signal: ctx.signal,
          onRunEnded: (run, merge) => {
            if (merge) ctx.progress?.(`${shortId(run.id)} ${run.agent} merge: ${merge.report.outcome}`);
          },
        }),
    );
    return batchResultJson(final, merges);
  },
});
