import type { ClientApi } from "@pancode/proto";
import type { z } from "zod";
import type { CliEnv } from "../client/cli-env.js";

/** What every tool call gets: the coordinator client and the settings of `pancode mcp`, read once at start. */
export interface McpContext {
  api: ClientApi;
  /** `env.cwd`, the working directory of `pancode mcp`, is the repository dispatches upload and merge back into. */
  env: CliEnv;
  /** Reports progress of a long call to the client (when it asked for progress); one line per change. */
  progress?: (message: string) => void;
  /** Aborted when the client cancels the call. */
  signal?: AbortSignal;
}

/**
 * One MCP tool: its name, what it is for (the model reads this to decide when to call it), its arguments as a zod
 * shape, and what it does. The result is sent back as JSON text; a thrown error becomes an MCP tool error.
 */
export interface McpTool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  description: string;
  input: Shape;
  run(args: z.infer<z.ZodObject<Shape>>, ctx: McpContext): Promise<unknown>;
}

/** Declares a tool with its argument types checked, for the server's table of tools. */
export function defineTool<Shape extends z.ZodRawShape>(tool: McpTool<Shape>): McpTool {
  return tool as unknown as McpTool;
}
