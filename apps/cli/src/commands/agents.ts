import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { printJson, table } from "../output.js";

/** `pancode agents [--json]` and `pancode agents show <name>`. */
export async function agentsCommand(name: string | undefined, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const agents = await api.listAgents();
    const selected = name ? agents.filter((a) => a.name === name) : agents;
    if (name && selected.length === 0) {
      throw new UsageError(`unknown agent "${name}"; available agents: ${agents.map((a) => a.name).join(", ")}`);
    }
    if (options.json) printJson(name ? selected[0] : { agents });
    else if (name) {
      const a = selected[0];
      if (a)
        process.stdout.write(
          `${Object.entries(a)
            .map(([k, v]) => `${k.padEnd(12)}${String(v)}`)
            .join("\n")}\n`,
        );
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
    .description("list the agents the cluster can run")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("agents", () => agentsCommand(undefined, options)));
  agents
    .command("show")
    .description("show one agent")
    .argument("<name>")
    .option("--json", "print one JSON document")
    .action((name: string, options: { json?: boolean }) => run("agents", () => agentsCommand(name, options)));
}
