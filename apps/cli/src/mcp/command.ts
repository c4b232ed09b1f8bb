import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { createMcpServer } from "./server.js";
import { MCP_TOOLS } from "./tools/table.js";

/**
 * `pancode mcp`: an MCP server on stdin/stdout until the client closes it. Dispatches work on the repository of the
 * current directory, with the mode of PANCODE_MODE, exactly as the CLI would.
 */
export async function mcpCommand(): Promise<number> {
  const env = cliEnv();
  const api = connect(env);
  try {
    const server = createMcpServer(MCP_TOOLS, { api, env });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once("end", () => resolve());
    });
    await server.connect(transport);
    await closed;
    await server.close();
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode mcp`. */
export function registerMcp(program: Command, run: CommandRunner): void {
  program
    .command("mcp")
    .description("serve the cluster to an MCP client over stdio (e.g. claude mcp add pancode -- pancode mcp)")
    .action(() => run("mcp", () => mcpCommand()));
}
