import { auditEntryJson, auditVerifyJson } from "@pancode/proto";
import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { printJson, shortId, table } from "../output.js";

/** The filters `pancode audit` accepts besides `run:<id>` (the coordinator knows more categories: run, worker, drain). */
export const AUDIT_FILTERS = [
  "dispatch",
  "error",
  "budget",
  "safety",
  "run",
  "worker",
  "drain",
  "keys",
  "tokens",
] as const;

/** Parses the filter argument: a category, or `run:<id>` (a unique prefix of the id is enough). */
export function parseAuditFilter(filter: string | undefined): { category?: string; runId?: string } {
  if (filter === undefined || filter === "") return {};
  if (filter.startsWith("run:")) {
    const runId = filter.slice(4).trim();
    if (!runId) throw new UsageError('run filter needs an id: "run:<id>"');
    return { runId };
  }
  if (!(AUDIT_FILTERS as readonly string[]).includes(filter)) {
    throw new UsageError(`unknown audit filter "${filter}"; use one of: ${AUDIT_FILTERS.join(", ")}, run:<id>`);
  }
  return { category: filter };
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 50;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new UsageError(`--limit must be a whole number from 1 to 1000, got "${text}"`);
  }
  return n;
}

/** `pancode audit [filter] [--limit N] [--json]`: the newest audit entries. */
export async function auditCommand(
  filter: string | undefined,
  options: { limit?: string; json?: boolean },
): Promise<number> {
  const query = { ...parseAuditFilter(filter), limit: parseLimit(options.limit) };
  const api = connect();
  try {
    const entries = await api.listAudit(query);
    if (options.json) {
      printJson({ entries: entries.map(auditEntryJson) });
      return EXIT.ok;
    }
    if (entries.length === 0) {
      process.stdout.write("no audit entries\n");
      return EXIT.ok;
    }
    const rows = entries.map((e) => [
      String(e.seq),
      e.at.replace("T", " ").replace(/\.\d+Z$/, "Z"),
      e.category,
      e.action,
      e.runId ? shortId(e.runId) : "-",
      e.gate || "-",
      e.message.replace(/\s+/g, " ").slice(0, 100),
    ]);
    process.stdout.write(`${table(["SEQ", "TIME", "CATEGORY", "ACTION", "RUN", "GATE", "MESSAGE"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode audit verify [--json]`: exit 0 when the hash chain is intact, 1 naming the first broken entry. */
export async function auditVerifyCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const v = await api.verifyAudit();
    if (options.json) printJson(auditVerifyJson(v));
    else if (v.ok) {
      process.stdout.write(`audit chain OK (${v.entries} entries)\n`);
      if (v.headHash) process.stdout.write(`head ${v.headHash}\n`);
    } else {
      process.stdout.write(`audit chain BROKEN at entry ${v.brokenSeq} (${v.reason}): ${v.message}\n`);
    }
    return v.ok ? EXIT.ok : EXIT.runFailed;
  } finally {
    api.close();
  }
}

/** Registers `pancode audit` and `pancode audit verify`. */
export function registerAudit(program: Command, run: CommandRunner): void {
  const audit = program
    .command("audit")
    .description("the tamper-evident audit trail, newest first: admissions, refusals, runs, budget, workers, drain")
    .argument("[filter]", `${AUDIT_FILTERS.join(" | ")} | run:<id>`)
    .option("--limit <N>", "how many entries (default 50)")
    .option("--json", "print one JSON document")
    .action((filter: string | undefined, options: { limit?: string; json?: boolean }) =>
      run("audit", () => auditCommand(filter, options)),
    );
  audit
    .command("verify")
    .description("check the audit hash chain; exit 1 naming the first edited or deleted entry")
    .option("--json", "print one JSON document")
    .action((_options: { json?: boolean }, command: Command) =>
      run("audit", () => auditVerifyCommand(command.optsWithGlobals())),
    );
}
