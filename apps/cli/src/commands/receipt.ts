import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { DIGEST_PREFIX, isPanCodeError, sha256Digest } from "@pancode/core";
import type { ClientApi, Receipt } from "@pancode/proto";
import {
  type DsseEnvelope,
  type GroupRef,
  type GroupStatement,
  groupOf,
  isGroupEnvelope,
  parseEnvelope,
  type ReceiptSource,
  type RunStatement,
  readStatement,
  type StoredVerification,
  verifyGroupReceipt,
  verifyReceipt,
  verifyStoredReceipt as verifyStored,
} from "@pancode/receipts";
import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT, UsageError } from "../exit-codes.js";
import { printJson, shortId, table } from "../output.js";
import { keysJson, readKeysFile, trustedKeys } from "../receipt-keys.js";

function statementOf(receipt: Receipt): RunStatement | undefined {
  try {
    return readStatement(parseEnvelope(receipt.body));
  } catch (_err) {
    return undefined;
  }
}

/** A receipt by receipt id, run id, or unique run id prefix. */
export async function fetchReceipt(api: ClientApi, id: string): Promise<Receipt> {
  try {
    return await api.getReceipt(id);
  } catch (err) {
    if (!isPanCodeError(err) || err.code !== "NOT_FOUND") throw err;
    const run = await api.getRun(id);
    if (!run.receiptId) throw err;
    return api.getReceipt(run.receiptId);
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

/** The run id an exported envelope names, if it decodes as a run receipt. */
function runIdOf(envelope: DsseEnvelope): string | null {
  try {
    return readStatement(envelope).predicate.runId;
  } catch (_err) {
    return null;
  }
}

/** Offline: envelope and keys from files, optionally the patch file; no coordinator needed. */
async function verifyOffline(options: VerifyOptions & { file: string }): Promise<number> {
  const subject: VerifySubject = { label: options.file, receiptId: null, runId: null, file: options.file };
  const tampered = (failure: string) =>
    report(subject, { ok: false, failures: [failure], coordinatorOnly: false }, options.json);
  if (!options.keys) throw new UsageError("--file needs --keys keys.json (from `pancode keys --json`)");
  const keys = trustedKeys(await readKeysFile(options.keys));
  let text: string;
  try {
    text = await readFile(options.file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read receipt file ${options.file}: ${(err as Error).message}`);
  }
  let envelope: DsseEnvelope;
  try {
    envelope = parseEnvelope(text);
  } catch (err) {
    return tampered(`envelope: ${(err as Error).message}`);
  }
  if (isGroupEnvelope(envelope)) {
    // A batch or chain receipt is checked together with its runs' exported receipts, in step order.
    const files = (options.runs ?? "").split(",").filter(Boolean);
    const runs: DsseEnvelope[] = [];
    for (const file of files) {
      try {
        runs.push(parseEnvelope(await readFile(file, "utf8")));
      } catch (err) {
        return tampered(`run receipt ${file}: ${(err as Error).message}`);
      }
    }
    const group = groupOf(JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as GroupStatement);
    const result = { ...verifyGroupReceipt(envelope, runs, { keys }), coordinatorOnly: false, group };
    return report(subject, result, options.json);
  }
  const expectedPatchDigest = options.patch ? sha256Digest(await readFile(options.patch)) : undefined;
  const result = verifyReceipt(envelope, { keys, expectedPatchDigest });
  return report({ ...subject, runId: runIdOf(envelope) }, result, options.json);
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

/** The coordinator's receipts, keys and patches, read over gRPC as this CLI's caller. */
export function receiptSource(api: ClientApi): ReceiptSource<Receipt> {
  return {
    receipt: (id) => fetchReceipt(api, id),
    keys: async () => trustedKeys(keysJson(await api.getKeys())),
    patchDigest: (runId) => patchDigest(api, runId),
  };
}

/** Verifies a receipt held by the coordinator (see @pancode/receipts `verifyStoredReceipt`). */
export function verifyStoredReceipt(api: ClientApi, id: string, keys?: ReturnType<typeof trustedKeys>) {
  return verifyStored(receiptSource(api), id, keys);
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

/** The sha256 of a run's stored patch, hashed as it streams in (a large patch is never held whole). */
async function patchDigest(api: ClientApi, runId: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of api.fetchPatchChunks(runId)) hash.update(chunk);
  return `${DIGEST_PREFIX}${hash.digest("hex")}`;
}
