import type { BudgetInfo } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { formatCost, printJson } from "../output.js";
import { submitterName } from "./dispatch.js";

/** `pancode budget --json`: stable camelCase fields, amounts in USD. */
export interface BudgetJson {
  ceilingUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  estimatedNextUsd: number;
  runs: number;
  /** Model tokens of all runs: inputTokens + outputTokens. */
  tokens: number;
  inputTokens: number;
  outputTokens: number;
}

function budgetJson(b: BudgetInfo): BudgetJson {
  return {
    ceilingUsd: b.ceilingUsd,
    spentUsd: b.spentUsd,
    reservedUsd: b.reservedUsd,
    remainingUsd: b.remainingUsd,
    estimatedNextUsd: b.estimatedNextUsd,
    runs: b.runs,
    tokens: b.tokens,
    inputTokens: b.inputTokens,
    outputTokens: b.outputTokens,
  };
}

function print(b: BudgetInfo, json: boolean | undefined): void {
  if (json) {
    printJson(budgetJson(b));
    return;
  }
  const lines = [
    ["ceiling", formatCost(b.ceilingUsd)],
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

/** `pancode budget [--json]`: ceiling, spent, reserved, remaining, estimate of the next dispatch, runs, tokens. */
export async function budgetCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    print(await api.getBudget(), options.json);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode budget set <usd> [--json]`: changes the cluster-wide ceiling and prints the budget after it. */
export async function budgetSetCommand(amount: string, options: { json?: boolean }): Promise<number> {
  const ceiling = parseUsd(amount);
  const api = connect();
  try {
    print(await api.setBudget(ceiling, submitterName()), options.json);
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
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("budget", () => budgetCommand(options)));
  budget
    .command("set")
    .description("set the cluster-wide budget ceiling in USD")
    .argument("<usd>")
    .option("--json", "print one JSON document")
    // optsWithGlobals: `budget set 25 --json` must work although the parent command also declares --json.
    .action((amount: string, _options: { json?: boolean }, command: Command) =>
      run("budget", () => budgetSetCommand(amount, command.optsWithGlobals())),
    );
}
