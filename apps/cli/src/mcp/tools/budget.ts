import { z } from "zod";
import { defineTool } from "../tool.js";

/** `get_budget`: the cluster-wide budget, or a team's. */
export const getBudgetTool = defineTool({
  name: "get_budget",
  description:
    "The cluster-wide budget in USD (or a team's, with team): ceiling, spent, reserved, remaining, and the next dispatch's estimate.",
  input: { team: z.string().optional().describe("a team's budget instead of the cluster's") },
  run: (args, { api }) => api.getBudget(args.team ?? ""),
});

/** `set_budget`: changes a ceiling; the coordinator refuses it unless the token's role is admin. */
export const setBudgetTool = defineTool({
  name: "set_budget",
  description:
    "Set the cluster-wide (or a team's) budget ceiling in USD (above 0); returns the budget after the change. Needs an admin token.",
  input: {
    ceiling_usd: z.number().positive().describe("new ceiling in USD"),
    team: z.string().optional().describe("set this team's ceiling instead of the cluster's"),
  },
  run: (args, { api }) => api.setBudget(args.ceiling_usd, "", args.team ?? ""),
});
