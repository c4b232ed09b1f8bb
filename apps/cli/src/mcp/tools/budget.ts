import { z } from "zod";
import { defineTool } from "../tool.js";

/** `get_budget`: the cluster-wide budget. */
export const getBudgetTool = defineTool({
  name: "get_budget",
  description: "The cluster-wide budget in USD: ceiling, spent, reserved, remaining, and the next dispatch's estimate.",
  input: {},
  run: (_args, { api }) => api.getBudget(),
});

/** `set_budget`: changes the ceiling. */
export const setBudgetTool = defineTool({
  name: "set_budget",
  description: "Set the cluster-wide budget ceiling in USD (above 0); returns the budget after the change.",
  input: { ceiling_usd: z.number().positive().describe("new ceiling in USD") },
  run: (args, { api }) => api.setBudget(args.ceiling_usd),
});
