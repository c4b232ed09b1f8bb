import { z } from "zod";
import { followChain } from "../../client/follow/orchestration-follow.js";
import { prepareSubmission } from "../../client/submit/submission.js";
import { watchChain } from "../../client/watch/watch-group.js";
import { chainJson, chainResultJson } from "../../orchestration-json.js";
import { defineTool } from "../tool.js";
import { progressOutput } from "./live-view.js";

/**
 * `dispatch_chain`: steps one after the other over the working state of the server's repository, each from the
 * state the previous left and with its output as $INPUT, as `pancode chain --wait --json` (same upload, gates,
 * PANCODE_MODE and PANCODE_SAFETY); the combined changes are merged at the end.
 */
export const dispatchChainTool = defineTool({
  name: "dispatch_chain",
  description:
    "Run a pipeline of agents on the PanCode cluster, one step after the other, on the exact current working state " +
    "of this repository: each step starts from the files the previous step left, and $INPUT in its task is the " +
    "previous step's output ($ORIGINAL: the original task). The chain stops at the first failed step. By default " +
    "the call follows the chain and merges the combined changes into the working tree when every step is done; " +
    "isolate: true keeps them aside. Returns the chain with every step's status and output and the merge.",
  input: {
    steps: z
      .array(
        z.object({
          agent: z.string().min(1).describe("agent name (see list_agents)"),
          task: z.string().min(1).describe("what this step does; $INPUT = previous output, $ORIGINAL = task"),
        }),
      )
      .min(1)
      .describe("the steps, in order"),
    task: z.string().optional().describe("the original task ($ORIGINAL; default: the first step's task)"),
    isolate: z.boolean().default(false).describe("do not touch the working tree; review the changes later"),
    wait: z.boolean().default(true).describe("follow the chain and merge its combined changes at the end (default)"),
    model: z.string().optional().describe("model override for every step, provider/id"),
  },
  async run(args, ctx) {
    const submission = await prepareSubmission(ctx.api, ctx.env, { isolate: args.isolate, model: args.model });
    const chain = await ctx.api.createChain({
      ...submission,
      steps: args.steps.map((s) => ({ agent: s.agent, task: s.task })),
      originalTask: args.task ?? "",
      refine: undefined,
    });
    if (!args.wait) return chainJson(chain);
    // The live view ends when the chain did (or the client cancelled); following it then merges at once.
    await watchChain(ctx.api, chain.id, { out: progressOutput(ctx), signal: ctx.signal }).catch(() => {
      // Progress is best effort: following the chain below says how it ended.
    });
    // Cancelled: the chain keeps running on the cluster and nothing is merged.
    if (ctx.signal?.aborted) return chainJson(await ctx.api.getChain(chain.id));
    const { chain: final, merge } = await followChain(ctx.api, chain.id, ctx.env, {
      progress: false,
      signal: ctx.signal,
    });
    return chainResultJson(final, merge);
  },
});
