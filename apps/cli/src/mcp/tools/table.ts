import type { McpTool } from "../tool.js";
import { listAgentsTool } from "./agents.js";
import { getBudgetTool, setBudgetTool } from "./budget.js";
import { dispatchAgentTool } from "./dispatch-agent.js";
import { getReceiptTool, verifyReceiptTool } from "./receipts.js";
import { getRunTool, listRunsTool } from "./runs.js";

/**
 * Every tool `pancode mcp` serves, in the order clients list them. A new tool is one module under tools/ and one
 * entry here (batch_dispatch, dispatch_chain, stop_run and audit come with their RPCs).
 */
export const MCP_TOOLS: readonly McpTool[] = [
  dispatchAgentTool,
  listRunsTool,
  getRunTool,
  getBudgetTool,
  setBudgetTool,
  listAgentsTool,
  getReceiptTool,
  verifyReceiptTool,
];
