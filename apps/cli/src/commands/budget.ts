import { type BudgetInfo, budgetJson } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { formatCost, printJson } from "../output.js";

function print(b: BudgetInfo, json: boolean | undefined): void {
  if (json) {
    printJson(budgetJson(b));
    return;
  }
  const noCeiling = b.team !== "" && b.ceilingUsd === 0;
  const lines = [
    ...(b.team ? [["team", b.team]] : []),
    ["ceiling", noCeiling ? "none (only the cluster's applies)" : formatCost(b.ceilingUsd)],
    ["spent", formatCost(b.spentUsd)],
    ["reserved", formatCost(b.reservedUsd)],
    ["remaining", formatCost(b.remainingUsd)],
    ["estimated next", formatCost(b.estimatedNextUsd)],
    ["runs", String(b.runs)],
    ["tokens", `${b.tokens} (input ${b.inputTokens}, output ${b.outputTokens})`],
  ];
  process.stdout.write(`${lines.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join("\n")}\n`);
}

/** Parses a ceiling typed by the user ("25", "25.50", "$25"); a UsageError (exit 2) unless it is positive. */
export function parseUsd(text: string): number {
  const trimmed = text.trim().replace(/^\$/, "");
  const value = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`budget ceiling must be a positive amount in USD (e.g. 25 or 25.50), got "${text}"`);
  }
  return value;
}

/** `pancode budget [--team T] [--json]`: ceiling, spent, reserved, remaining, estimate of the next dispatch, runs, tokens. */
export async function budgetCommand(options: { json?: boolean; team?: string }): Promise<number> {
  const api = connect();
  try {
    print(await api.getBudget(options.team ?? ""), options.json);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode budget set <usd> [--team T] [--json]`: changes the cluster's (or a team's) ceiling, prints the budget. */
export async function budgetSetCommand(amount: string, options: { json?: boolean; team?: string }): Promise<number> {
  const ceiling = parseUsd(amount);
  const api = connect();
  try {
    print(await api.setBudget(ceiling, "", options.team ?? ""), options.json);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode budget` and `pancode budget set`. */
export function registerBudget(program: Command, run: CommandRunner): void {
  const budget = program
    .command("budget")
    .description("the cluster-wide budget: ceiling, spent, reserved, remaining, estimated next dispatch")
    .option("--team <team>", "the budget of this team instead of the cluster's")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean; team?: string }) => run("budget", () => budgetCommand(options)));
  budget
    .command("set")
    .description("set the cluster-wide (or, with --team, a team's) budget ceiling in USD (admin)")
    .argument("<usd>")
    .option("--team <team>", "set this team's ceiling instead of the cluster's")
    .option("--json", "print one JSON document")
    // optsWithGlobals: `budget set 25 --json` must work although the parent command also declares --json.
    .action((amount: string, _options: { json?: boolean }, command: Command) =>
      run("budget", () => budgetSetCommand(amount, command.optsWithGlobals())),
    );
}
