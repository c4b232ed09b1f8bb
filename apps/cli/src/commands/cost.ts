import type { CostTotal, MetricsGroup } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { formatDuration, printJson, shortId, table } from "../output.js";

/** Costs with 4 decimals: single runs of small models cost fractions of a cent. */
function usd(amount: number): string {
  return `$${amount.toFixed(4)}`;
}

function totalsTable(title: string, totals: readonly CostTotal[]): string {
  const rows = totals.map((t) => [t.key || "-", String(t.runs), String(t.tokens), usd(t.costUsd)]);
  return table([title, "RUNS", "TOKENS", "COST"], rows);
}

/** What `pancode cost --by` groups by. */
const COST_GROUPS = ["user", "team"] as const;

/**
 * `pancode cost [N] [--by user|team]`: per-run spend of the newest N runs (default 1000), totals by agent and by
 * model; with --by, only the totals per person or per team (key "" = none).
 */
export async function costCommand(
  count: string | undefined,
  options: { json?: boolean; by?: string },
): Promise<number> {
  const limit = count === undefined ? 0 : Number(count);
  if (!Number.isInteger(limit) || limit < 0 || limit > 100_000)
    throw new UsageError(`N must be a whole number from 1 to 100000, got "${count}"`);
  if (options.by !== undefined && !(COST_GROUPS as readonly string[]).includes(options.by)) {
    throw new UsageError(`--by must be one of: ${COST_GROUPS.join(", ")}; got "${options.by}"`);
  }
  const api = connect();
  try {
    const report = await api.getCost(limit);
    if (options.by) {
      const totals = options.by === "user" ? report.byUser : report.byTeam;
      if (options.json) printJson({ by: options.by, totals, total: report.total ?? null });
      else process.stdout.write(`${totalsTable(options.by.toUpperCase(), totals)}\n`);
      return EXIT.ok;
    }
    if (options.json) {
      printJson(report);
      return EXIT.ok;
    }
    if (report.runs.length === 0) {
      process.stdout.write("no runs yet\n");
      return EXIT.ok;
    }
    const runs = report.runs.map((r) => [
      shortId(r.runId),
      r.agent,
      r.model || "-",
      r.status,
      String(r.inputTokens),
      String(r.outputTokens),
      String(r.tokens),
      usd(r.costUsd),
    ]);
    const total = report.total ?? { key: "", runs: 0, tokens: 0, costUsd: 0 };
    process.stdout.write(
      [
        table(["RUN", "AGENT", "MODEL", "STATUS", "IN", "OUT", "TOKENS", "COST"], runs),
        "",
        totalsTable("AGENT", report.byAgent),
        "",
        totalsTable("MODEL", report.byModel),
        "",
        `total: ${total.runs} run(s), ${total.tokens} tokens, ${usd(total.costUsd)}`,
        "",
      ].join("\n"),
    );
    return EXIT.ok;
  } finally {
    api.close();
  }
}

function metricsRow(g: MetricsGroup): string[] {
  return [
    g.key || "(all)",
    String(g.runs),
    g.byStatus.map((s) => `${s.status}=${s.runs}`).join(" ") || "-",
    String(g.tokens),
    usd(g.costUsd),
    formatDuration(g.p50DurationMs >= 0 ? g.p50DurationMs : null),
    formatDuration(g.p95DurationMs >= 0 ? g.p95DurationMs : null),
  ];
}

/** `pancode metrics`: runs by status, cost, tokens and p50/p95 duration, overall and per agent. */
export async function metricsCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const report = await api.getMetrics();
    if (options.json) {
      printJson(report);
      return EXIT.ok;
    }
    const groups = report.total ? [report.total, ...report.byAgent] : report.byAgent;
    process.stdout.write(
      `${table(["AGENT", "RUNS", "BY STATUS", "TOKENS", "COST", "P50", "P95"], groups.map(metricsRow))}\n`,
    );
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode cost` and `pancode metrics`. */
export function registerCost(program: Command, run: CommandRunner): void {
  program
    .command("cost")
    .description("cost per run (agent, model, tokens, cost) with totals by agent and by model")
    .argument("[N]", "newest runs to include (default 1000)")
    .option("--by <group>", "only the totals per user or per team (user | team)")
    .option("--json", "print one JSON document")
    .action((count: string | undefined, options: { json?: boolean; by?: string }) =>
      run("cost", () => costCommand(count, options)),
    );
  program
    .command("metrics")
    .description("runs by status, total cost and tokens, p50/p95 duration, per agent")
    .option("--json", "print one JSON document")
    .action((options: { json?: boolean }) => run("metrics", () => metricsCommand(options)));
}
