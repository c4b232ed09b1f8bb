import type { McpTool } from "../tool.js";
import { listAgentsTool } from "./agents.js";
import { auditTool } from "./audit.js";
import { batchDispatchTool } from "./batch-dispatch.js";
import { getBudgetTool, setBudgetTool } from "./budget.js";
import { dispatchAgentTool } from "./dispatch-agent.js";
import { dispatchChainTool } from "./dispatch-chain.js";
import { getReceiptTool, verifyReceiptTool } from "./receipts.js";
import { getRunTool, listRunsTool } from "./runs.js";
import { stopRunTool } from "./stop-run.js";

/** Every tool `pancode mcp` serves, in the order clients list them. A new tool is one module under tools/ and one entry here. */
export const MCP_TOOLS: readonly McpTool[] = [
  dispatchAgentTool,
  batchDispatchTool,
  dispatchChainTool,
  listRunsTool,
  getRunTool,
  stopRunTool,
  getBudgetTool,
  setBudgetTool,
  listAgentsTool,
  getReceiptTool,
  verifyReceiptTool,
  auditTool,
];
