import type { Receipt } from "@pancode/proto";
import {
  type DsseEnvelope,
  type GroupStatement,
  isGroupEnvelope,
  parseEnvelope,
  type RunStatement,
  readStatement,
} from "@pancode/receipts";
import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT, UsageError } from "../client/exit-codes.js";
import { verifyExportedReceipt } from "../client/receipts/verify-exported.js";
import {
  fetchReceipt,
  type GroupRef,
  type StoredVerification,
  verifyStoredReceipt,
} from "../client/receipts/verify-receipt.js";
import { printJson, shortId, table } from "../output.js";
import { readKeysFile, trustedKeys } from "../receipt-keys.js";

function statementOf(receipt: Receipt): RunStatement | undefined {
  try {
    return readStatement(parseEnvelope(receipt.body));
  } catch (_err) {
    return undefined;
  }
}

/** `pancode receipt [--json]`: receipts, newest first. */
export async function receiptListCommand(options: { json?: boolean; limit?: string }): Promise<number> {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError(`--limit must be a whole number from 1 to 1000, got "${options.limit}"`);
  const api = connect();
  try {
    const list = (await api.listReceipts(limit)).map((r) => {
      const p = statementOf(r)?.predicate;
      return {
        receiptId: r.id,
        runId: r.runId,
        agent: p?.parameters.agent ?? "",
        status: p?.results.status ?? "",
        createdAt: r.createdAt,
      };
    });
    if (options.json) printJson({ receipts: list });
    else if (list.length === 0) process.stdout.write("no receipts yet\n");
    else {
      const rows = list.map((r) => [r.receiptId, shortId(r.runId), r.agent, r.status, r.createdAt]);
      process.stdout.write(`${table(["RECEIPT", "RUN", "AGENT", "STATUS", "CREATED"], rows)}\n`);
    }
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** `pancode receipt show <id|run-id>`: the receipt's statement, decoded. */
export async function receiptShowCommand(id: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const receipt = await fetchReceipt(api, id);
    const envelope = parseEnvelope(receipt.body);
    if (isGroupEnvelope(envelope)) return showGroup(receipt, envelope, options);
    const statement = readStatement(envelope);
    if (options.json) {
      printJson({
        receiptId: receipt.id,
        runId: receipt.runId,
        contentHash: receipt.contentHash,
        createdAt: receipt.createdAt,
        statement,
        signatures: envelope.signatures.map((s) => s.keyid),
      });
      return EXIT.ok;
    }
    const p = statement.predicate;
    const lines = [
      `receipt   ${receipt.id} (${p.issuer === "coordinator" ? "coordinator only" : "worker + coordinator"})`,
      `run       ${p.runId} (attempt ${p.attempt} on worker ${p.workerId || "-"})`,
      `status    ${p.results.status} (exit ${p.results.exitCode ?? "-"})`,
      `agent     ${p.parameters.agent} (${p.parameters.runtime}, spec ${p.parameters.agentSpecDigest})`,
      `image     ${p.parameters.image} ${p.parameters.imageDigest || "-"}`,
      `model     ${p.parameters.model || "-"}`,
      `task      ${p.parameters.task}`,
      `base      ${p.parameters.baseCommit}`,
      `patch     ${p.results.patchDigest} (${p.results.patchBytes} bytes, ${p.results.patchFiles.length} file(s))`,
      `hash      ${receipt.contentHash}`,
      `signed by ${envelope.signatures.map((s) => s.keyid).join(", ")}`,
      `created   ${receipt.createdAt}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** A batch or chain receipt: its runs in step order with their receipts' digests. */
function showGroup(receipt: Receipt, envelope: DsseEnvelope, options: { json?: boolean }): number {
  const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as GroupStatement;
  const p = statement.predicate;
  if (options.json) {
    printJson({
      receiptId: receipt.id,
      contentHash: receipt.contentHash,
      createdAt: receipt.createdAt,
      statement,
      signatures: envelope.signatures.map((s) => s.keyid),
    });
    return EXIT.ok;
  }
  const lines = [
    `receipt   ${receipt.id} (${p.kind}, coordinator)`,
    `${p.kind.padEnd(9)} ${p.id} ${p.status}${p.error ? ` (${p.error})` : ""}`,
    ...p.runs.map(
      (r) => `step ${String(r.step).padEnd(4)} run ${r.runId} receipt ${r.receiptId || "-"} ${r.receiptDigest}`,
    ),
    `hash      ${receipt.contentHash}`,
    `signed by ${envelope.signatures.map((s) => s.keyid).join(", ")}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

/** `pancode receipt export <id>`: the DSSE envelope JSON on stdout. */
export async function receiptExportCommand(id: string): Promise<number> {
  const api = connect();
  try {
    const receipt = await fetchReceipt(api, id);
    printJson(parseEnvelope(receipt.body));
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** What was verified, for the JSON form: ids when known (an offline envelope carries no receipt id). */
interface VerifySubject {
  label: string;
  receiptId: string | null;
  runId: string | null;
  file?: string;
}

/** `pancode receipt verify --json`: the verdict, what was checked, and every failure (documented in the README). */
export interface VerifyJson {
  result: "PASS" | "TAMPERED";
  receiptId: string | null;
  runId: string | null;
  /** A batch or chain receipt: which one; null for a run receipt. */
  group: GroupRef | null;
  /** Offline: the envelope file checked. */
  file: string | null;
  coordinatorOnly: boolean;
  failures: string[];
}

/** Prints the verdict (one JSON document with `json`) and returns its exit code: PASS 0, TAMPERED 1. */
function report(subject: VerifySubject, result: StoredVerification, json = false): number {
  if (json) {
    const out: VerifyJson = {
      result: result.ok ? "PASS" : "TAMPERED",
      receiptId: subject.receiptId,
      runId: subject.runId,
      group: result.group ?? null,
      file: subject.file ?? null,
      coordinatorOnly: result.coordinatorOnly,
      failures: result.failures,
    };
    printJson(out);
    return result.ok ? EXIT.ok : EXIT.runFailed;
  }
  const label = subject.label;
  if (result.ok) {
    const note = result.coordinatorOnly ? " (coordinator-only receipt: the coordinator ended this run)" : "";
    process.stdout.write(`PASS ${label}${note}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`TAMPERED ${label}\n${result.failures.map((f) => `  - ${f}\n`).join("")}`);
  return EXIT.runFailed;
}

/** Options of `receipt verify`. */
interface VerifyOptions {
  file?: string;
  keys?: string;
  patch?: string;
  runs?: string;
  json?: boolean;
}

/** Offline: envelope and keys from files, optionally the patch file; no coordinator needed. */
async function verifyOffline(options: VerifyOptions & { file: string }): Promise<number> {
  if (!options.keys) throw new UsageError("--file needs --keys keys.json (from `pancode keys --json`)");
  const { runId, result } = await verifyExportedReceipt({
    file: options.file,
    keysPath: options.keys,
    patchPath: options.patch,
    runFiles: (options.runs ?? "").split(",").filter(Boolean),
  });
  return report({ label: options.file, receiptId: null, runId, file: options.file }, result, options.json);
}

/** `pancode receipt verify <id>` or `--file r.json --keys keys.json`: PASS (exit 0) or TAMPERED (exit 1). */
export async function receiptVerifyCommand(id: string | undefined, options: VerifyOptions): Promise<number> {
  if (options.file) return verifyOffline({ ...options, file: options.file });
  if (!id) throw new UsageError("give a receipt id or run id, or --file r.json --keys keys.json");
  const api = connect();
  try {
    const keys = options.keys ? trustedKeys(await readKeysFile(options.keys)) : undefined;
    const { receipt, label, result } = await verifyStoredReceipt(api, id, keys);
    return report({ label, receiptId: receipt.id, runId: receipt.runId || null }, result, options.json);
  } finally {
    api.close();
  }
}

/** Registers `pancode receipt` and its subcommands. */
export function registerReceipt(program: Command, run: CommandRunner): void {
  const receipt = program
    .command("receipt")
    .description("signed run receipts: list, show, export, verify")
    .option("--json", "print one JSON document")
    .option("--limit <n>", "how many (default 20)")
    .action((options: { json?: boolean; limit?: string }) => run("receipt", () => receiptListCommand(options)));
  receipt
    .command("show")
    .description("show one receipt's statement")
    .argument("<id>", "receipt id or run id")
    .option("--json", "print one JSON document")
    // `--json` after the subcommand is claimed by the parent's option of the same name: read both.
    .action((id: string, _options: unknown, command: Command) =>
      run("receipt show", () => receiptShowCommand(id, command.optsWithGlobals())),
    );
  receipt
    .command("export")
    .description("print the receipt's DSSE envelope (JSON)")
    .argument("<id>", "receipt id or run id")
    .action((id: string) => run("receipt export", () => receiptExportCommand(id)));
  receipt
    .command("verify")
    .description("verify signatures, payload and patch: prints PASS (exit 0) or TAMPERED and what failed (exit 1)")
    .argument("[id]", "receipt id or run id (online)")
    .option("--file <r.json>", "verify an exported envelope offline (no coordinator)")
    .option("--keys <keys.json>", "trusted keys, as printed by `pancode keys --json`")
    .option("--patch <file>", "offline: the patch the receipt must name")
    .option("--runs <r1.json,r2.json>", "offline, batch or chain receipt: its runs' exported receipts, in step order")
    .option("--json", "print one JSON document: result PASS or TAMPERED, receiptId, runId, failures")
    // `--json` after the subcommand is claimed by the parent's option of the same name: read both.
    .action((id: string | undefined, _options: VerifyOptions, command: Command) =>
      run("receipt verify", () => receiptVerifyCommand(id, command.optsWithGlobals())),
    );
}
