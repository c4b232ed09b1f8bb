import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { McpContext, McpTool } from "./tool.js";

/** Version announced to MCP clients (the CLI's). */
const MCP_SERVER_VERSION = "0.1.0";

/** The one-line message of an error, as the CLI prints it: never a stack trace. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]?.trim() || "unknown error";
}

/** Runs one tool: its result as JSON text, or an MCP tool error carrying the error's one-line message. */
export async function callTool(tool: McpTool, args: unknown, ctx: McpContext): Promise<CallToolResult> {
  try {
    const value = await tool.run(args as never, ctx);
    return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }] };
  } catch (err) {
    return { isError: true, content: [{ type: "text", text: oneLine(err) }] };
  }
}

/**
 * The context of one call: cancellation, and progress notifications when the client sent a progress token (clients
 * can then keep a long dispatch alive with `resetTimeoutOnProgress`).
 */
function callContext(base: McpContext, extra: RequestHandlerExtra<ServerRequest, ServerNotification>): McpContext {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { ...base, signal: extra.signal };
  let count = 0;
  const progress = (message: string) => {
    count += 1;
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: count, message },
      })
      // A client that went away cannot be told; the call itself reports the outcome.
      .catch(() => {});
  };
  return { ...base, signal: extra.signal, progress };
}

/** An MCP server exposing `tools` over the coordinator client of `ctx`. */
export function createMcpServer(tools: readonly McpTool[], ctx: McpContext): McpServer {
  const server = new McpServer({ name: "pancode", version: MCP_SERVER_VERSION });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: tool.input },
      (args: unknown, extra: RequestHandlerExtra<ServerRequest, ServerNotification>) =>
        callTool(tool, args, callContext(ctx, extra)),
    );
  }
  return server;
}
