import { parseDuration } from "@pancode/agents";
import { PanCodeError } from "@pancode/core";
import { runJson } from "@pancode/proto";
import { z } from "zod";
import { type MergeBackResult, mergeBack } from "../../client/merge/merge-back.js";
import { submitDispatch } from "../../client/submit/submit.js";
import { watchRuns } from "../../client/watch/watch-runs.js";
import { mergeJson } from "../../orchestration-json.js";
import { defineTool } from "../tool.js";
import { progressOutput } from "./live-view.js";

/**
 * `dispatch_agent`: runs a task on the cluster over the exact working state of the server's repository, exactly as
 * `pancode dispatch --wait` does (same upload, same gates, mode from PANCODE_MODE), and merges the patch back into
 * the working tree unless `isolate`.
 */
export const dispatchAgentTool = defineTool({
  name: "dispatch_agent",
  description:
    "Delegate a task to a coding agent on the PanCode cluster. The agent works in its own container on the exact " +
    "current working state of this repository; by default the call waits for the run and merges its changes into " +
    "the working tree (isolate: true keeps them aside for review). Returns the run's status, output and merge report.",
  input: {
    task: z.string().min(1).describe("what the agent should do"),
    agent: z.string().default("dev").describe("agent name (see list_agents); default dev"),
    isolate: z.boolean().default(false).describe("do not touch the working tree; review the patch later"),
    wait: z.boolean().default(true).describe("wait for the run to end (default); false returns the queued run"),
    model: z.string().optional().describe("model override, provider/id"),
    timeout: z.string().optional().describe("stop the run after this long, e.g. 90s or 5m"),
  },
  async run(args, { api, env, progress, signal }) {
    const timeoutMs = args.timeout === undefined ? 0 : parseDuration(args.timeout);
    if (timeoutMs === undefined || timeoutMs < 0) {
      throw new PanCodeError("INVALID_ARGUMENT", `timeout must be a duration such as 90s or 5m, got "${args.timeout}"`);
    }
    const submitted = await submitDispatch(api, env, {
      task: args.task,
      agent: args.agent,
      isolate: args.isolate,
      model: args.model,
      timeoutMs,
    });
    if (!args.wait) return { ...runJson(submitted.run), warnings: submitted.warnings };
    // The plain lines of `pancode watch` (one per change) become the call's progress notifications.
    await watchRuns(api, { runIds: [submitted.run.id], out: progressOutput({ progress }), signal });
    const final = await api.getRun(submitted.run.id);
    let merge: MergeBackResult | undefined;
    if (final.status === "done" && !final.isolate && final.patch && final.patch.bytes > 0) {
      merge = await mergeBack(api, final, env);
    }
    return {
      ...runJson(final),
      warnings: submitted.warnings,
      merge: merge ? mergeJson(merge) : null,
    };
  },
});
