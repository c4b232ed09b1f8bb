import { readAgentFilesAround } from "../../client/submit/agent-files.js";
import { defineTool } from "../tool.js";

/** `list_agents`: the agents a dispatch from this repository can use (cluster's plus the repository's own). */
export const listAgentsTool = defineTool({
  name: "list_agents",
  description:
    "List the agents a dispatch from this repository can use: name, description, runtime, model, read-only, tools.",
  input: {},
  async run(_args, { api, env }) {
    const answer = await api.listAgents(await readAgentFilesAround(env.cwd));
    return {
      agents: answer.agents.map((a) => ({
        name: a.name,
        description: a.description,
        runtime: a.runtime,
        model: a.model,
        readonly: a.readonly,
        source: a.source,
        tools: a.tools,
        timeoutMs: a.timeoutMs,
      })),
      warnings: answer.warnings,
    };
  },
});
