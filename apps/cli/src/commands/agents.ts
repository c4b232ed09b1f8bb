import type { AgentInfo } from "@pancode/proto";
import type { Command } from "commander";
import { cliEnv } from "../client/cli-env.js";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { readAgentFilesAround } from "../client/submit/agent-files.js";
import { formatDuration, printJson, table } from "../output.js";

/** One agent in full, as `pancode agents show` prints it: fields first, then the system prompt. */
function formatAgent(a: AgentInfo): string {
  const fields: [string, string][] = [
    ["name", a.name],
    ["description", a.description],
    ["source", a.source],
    ["runtime", a.runtime],
    ["model", a.model || "(cluster default)"],
    ["readonly", a.readonly ? "yes" : "no"],
    ["tools", a.tools.join(", ") || "-"],
    ["max turns", a.maxTurns > 0 ? String(a.maxTurns) : "(runtime default)"],
    ["timeout", formatDuration(a.timeoutMs)],
    ["network", a.network],
  ];
  const prompt = a.prompt ? a.prompt.replace(/^/gm, "  ") : "  (none)";
  return `${fields.map(([k, v]) => `${k.padEnd(13)}${v}`).join("\n")}\nprompt:\n${prompt}`;
}

/**
 * `pancode agents [--json]` and `pancode agents show <name>`: the cluster's agents, with those of the repository
 * around the working directory (`.pancode/agents`, `.pancode/teams`) layered on top, as a dispatch from here sees
 * them. Problems of the repository's files are printed as warnings on stderr.
 */
export async function agentsCommand(name: string | undefined, options: { json?: boolean }): Promise<number> {
  const agentFiles = await readAgentFilesAround(cliEnv().cwd);
  const api = connect();
  try {
    const { agents, warnings } = await api.listAgents(agentFiles);
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    if (name) {
      const agent = agents.find((a) => a.name === name);
      if (!agent) {
        throw new UsageError(`unknown agent "${name}"; available agents: ${agents.map((a) => a.name).join(", ")}`);
      }
      if (options.json) printJson(agent);
      else process.stdout.write(`${formatAgent(agent)}\n`);
    } else if (options.json) {
      printJson({ agents, warnings });
    } else {
      const rows = agents.map((a) => [
        a.name,
        a.runtime,
        a.model || "-",
        a.readonly ? "yes" : "no",
        a.source,
        a.description,
      ]);
      process.stdout.write(`${table(["NAME", "RUNTIME", "MODEL", "READONLY", "SOURCE", "DESCRIPTION"], rows)}\n`);
    }
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode agents`. */
export function registerAgents(program: Command, run: CommandRunner): void {
  const agents = program
    .command("agents")
    .description("list the agents the cluster can run (with this repository's .pancode/agents)")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("agents", () => agentsCommand(undefined, options)));
  agents
    .command("show")
    .description("show one agent in full, including its system prompt")
    .argument("<name>")
    .option("--json", "print one JSON document")
    // optsWithGlobals: `agents show x --json` must work although the parent command also declares --json.
    .action((name: string, _options: { json?: boolean }, command: Command) =>
      run("agents", () => agentsCommand(name, command.optsWithGlobals())),
    );
}
