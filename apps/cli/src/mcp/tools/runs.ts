import { runJson } from "@pancode/proto";
import { z } from "zod";
import { defineTool } from "../tool.js";

/** `list_runs`: the newest runs of the cluster, with live progress. */
export const listRunsTool = defineTool({
  name: "list_runs",
  description: "List the cluster's most recent runs, newest first (status, agent, model, duration, cost, tokens).",
  input: { limit: z.number().int().min(1).max(1000).default(20).describe("how many runs (default 20)") },
  async run(args, { api }) {
    const runs = await api.listRuns(args.limit);
    return { runs: runs.map((r) => ({ ...runJson(r), turns: r.turns, tokens: r.tokens })) };
  },
});

/** `get_run`: one run in full, with its output tail and live progress. */
export const getRunTool = defineTool({
  name: "get_run",
  description: "Everything about one run: status, error, output tail, patch files, cost, turns, current tool, tokens.",
  input: { run_id: z.string().min(1).describe("run id or unique prefix (at least 4 characters)") },
  async run(args, { api }) {
    const r = await api.getRun(args.run_id);
    return {
      ...runJson(r),
      turns: r.turns,
      currentTool: r.currentTool,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      tokens: r.tokens,
    };
  },
});
