import { runDetailJson, runJson } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { formatCost, formatDuration, printJson, shortId, table } from "../output.js";

/** Which runs `pancode runs` lists: everyone's, the caller's own, one person's, one team's. */
export interface RunsFilter {
  mine?: boolean;
  user?: string;
  team?: string;
}

/** `pancode runs [N] [--mine | --user U] [--team T]`: the last N runs (default 20), newest first. */
export async function runsCommand(
  count: string | undefined,
  options: { json?: boolean } & RunsFilter,
): Promise<number> {
  if (options.mine && options.user) throw new UsageError("use --mine or --user, not both");
  const limit = count === undefined ? 20 : Number(count);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`N must be a whole number from 1 to 1000, got "${count}"`);
  const api = connect();
  try {
    const runs = await api.listRuns(limit, { mine: options.mine, user: options.user, team: options.team });
    if (options.json) {
      printJson({ runs: runs.map(runJson) });
      return EXIT.ok;
    }
    if (runs.length === 0) {
      process.stdout.write("no runs yet\n");
      return EXIT.ok;
    }
    const rows = runs.map((r) => [
      shortId(r.id),
      r.agent,
      r.status,
      r.model || "-",
      formatDuration(r.durationMs >= 0 ? r.durationMs : null),
      formatCost(r.costUsd),
      r.user || "-",
      r.task.replace(/\s+/g, " ").slice(0, 48),
    ]);
    process.stdout.write(`${table(["RUN", "AGENT", "STATUS", "MODEL", "DURATION", "COST", "USER", "TASK"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode show <run>`: everything about one run. */
export async function showCommand(id: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const info = await api.getRun(id);
    const run = runJson(info);
    // Progress from the agent's events (zero for plain commands).
    const usage = {
      turns: info.turns,
      inputTokens: info.inputTokens,
      outputTokens: info.outputTokens,
      tokens: info.tokens,
    };
    if (options.json) {
      printJson(runDetailJson(info));
      return EXIT.ok;
    }
    const lines = [
      `run       ${run.runId}`,
      `status    ${run.status}${run.error ? ` (${run.error})` : ""}`,
      `agent     ${run.agent}${run.model ? ` (${run.model})` : ""}`,
      `user      ${run.user ?? "-"}${run.team ? ` (team ${run.team})` : ""}`,
      `task      ${run.task}`,
      `worker    ${run.workerId || "-"} (attempt ${run.attempt})`,
      `exit code ${run.exitCode ?? "-"}`,
      `created   ${run.createdAt}`,
      `duration  ${formatDuration(run.durationMs)}`,
      `cost      ${formatCost(run.costUsd)}`,
      `usage     ${usage.turns} turn(s), ${usage.tokens} tokens (in ${usage.inputTokens}, out ${usage.outputTokens})`,
      `isolate   ${run.isolate}`,
      `receipt   ${run.receiptId || "-"}`,
      `patch     ${run.patch ? `${run.patch.bytes} bytes, ${run.patch.files.length} file(s) ${run.patch.digest}` : "-"}`,
      ...(run.patch?.files ?? []).map(
        (f) => `            ${f.status} ${f.oldPath ? `${f.oldPath} -> ` : ""}${f.path}${f.binary ? " (binary)" : ""}`,
      ),
    ];
    if (run.outputTail) lines.push("output (tail):", run.outputTail.trimEnd());
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode runs` and `pancode show`. */
export function registerRuns(program: Command, run: CommandRunner): void {
  program
    .command("runs")
    .description("list recent runs: id, agent, status, model, duration, cost, user")
    .argument("[N]", "how many (default 20)")
    .option("--mine", "only runs submitted with my token")
    .option("--user <name>", "only runs submitted by this token name")
    .option("--team <team>", "only runs of this team")
    .option("--json", "print one JSON document")
    .action((count: string | undefined, options: { json?: boolean } & RunsFilter) =>
      run("runs", () => runsCommand(count, options)),
    );
  program
    .command("show")
    .description("show one run (full id or unique prefix)")
    .argument("<run>", "run id or prefix")
    .option("--json", "print one JSON document")
    .action((id: string, options: { json?: boolean }) => run("show", () => showCommand(id, options)));
}
