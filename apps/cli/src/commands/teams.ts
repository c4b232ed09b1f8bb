import type { TeamInfo } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { formatCost, printJson, table } from "../output.js";

/** `pancode teams list --json`: a team with its limits (null = none) and spend. */
function teamJson(t: TeamInfo) {
  return {
    name: t.name,
    maxRunning: t.maxRunning || null,
    budgetCeilingUsd: t.budgetCeilingUsd || null,
    spentUsd: t.spentUsd,
    reservedUsd: t.reservedUsd,
    createdAt: t.createdAt,
  };
}

/** `pancode teams set <team> --max-running N` (0 = no limit): creates the team or changes its run limit. */
export async function teamsSetCommand(name: string, options: { maxRunning?: string; json?: boolean }): Promise<number> {
  const max = Number(options.maxRunning);
  if (options.maxRunning === undefined || !Number.isInteger(max) || max < 0) {
    throw new UsageError(`--max-running must be a whole number >= 0 (0 = no limit), got "${options.maxRunning ?? ""}"`);
  }
  const api = connect();
  try {
    const team = await api.setTeam(name, max);
    if (options.json) printJson(teamJson(team));
    else process.stdout.write(`team ${team.name}: max running ${team.maxRunning || "unlimited"}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode teams list [--json]`. */
export async function teamsListCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const teams = await api.listTeams();
    if (options.json) {
      printJson({ teams: teams.map(teamJson) });
      return EXIT.ok;
    }
    const rows = teams.map((t) => [
      t.name,
      t.maxRunning ? String(t.maxRunning) : "-",
      t.budgetCeilingUsd ? formatCost(t.budgetCeilingUsd) : "-",
      formatCost(t.spentUsd),
      formatCost(t.reservedUsd),
    ]);
    process.stdout.write(`${table(["TEAM", "MAX RUNNING", "CEILING", "SPENT", "RESERVED"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode teams set` and `pancode teams list`. */
export function registerTeams(program: Command, run: CommandRunner): void {
  const teams = program.command("teams").description("teams: run limits and spend (budgets: pancode budget --team)");
  teams
    .command("set")
    .description("create a team or set how many of its runs may run at once (admin)")
    .argument("<team>")
    .option("--max-running <n>", "runs of the team that may run at once; 0 = no limit")
    .option("--json", "print the team as JSON")
    .action((name: string, options: { maxRunning?: string; json?: boolean }) =>
      run("teams set", () => teamsSetCommand(name, options)),
    );
  teams
    .command("list")
    .description("every team with its run limit, budget ceiling and spend")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("teams list", () => teamsListCommand(options)));
}
