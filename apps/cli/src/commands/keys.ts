import type { Command } from "commander";
import type { CommandRunner } from "../client/command-runner.js";
import { connect } from "../client/connection.js";
import { EXIT } from "../client/exit-codes.js";
import { printJson, table } from "../output.js";
import { keysJson } from "../receipt-keys.js";

/** `pancode keys [--json]`: the cluster's receipt-signing public keys; --json is the keys.json verify reads. */
export async function keysCommand(options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const doc = keysJson(await api.getKeys());
    if (options.json) {
      printJson(doc);
      return EXIT.ok;
    }
    const rows = doc.keys.map((k) => [k.keyId, k.role, k.ownerId, k.revoked ? "revoked" : "active", k.createdAt]);
    process.stdout.write(`${table(["KEY", "ROLE", "OWNER", "STATE", "CREATED"], rows)}\n`);
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/**
 * `pancode keys revoke <key-id>`: no receipt signed by the key verifies any more, and its worker id may not join
 * again, with any key, until `pancode keys readmit`. Printed with what to do next, since the effect is cluster-wide.
 */
export async function keysRevokeCommand(keyId: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const key = await api.revokeKey(keyId);
    if (options.json) {
      printJson({ keyId: key.keyId, role: key.role, ownerId: key.ownerId, revoked: key.revoked });
      return EXIT.ok;
    }
    process.stdout.write(
      `revoked ${key.keyId} (${key.role} ${key.ownerId}): receipts signed by it now verify as TAMPERED; ` +
        "re-export keys.json (`pancode keys --json`) for offline verifiers\n",
    );
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/**
 * `pancode keys readmit <worker-id>`: a worker id whose key was revoked may join again; its next registration binds
 * the new key it presents. Audited.
 */
export async function keysReadmitCommand(workerId: string, options: { json?: boolean }): Promise<number> {
  const api = connect();
  try {
    const answer = await api.readmitWorker(workerId);
    if (options.json) {
      printJson({ workerId: answer.workerId, previousKeyId: answer.revokedKeyId });
      return EXIT.ok;
    }
    const was = answer.revokedKeyId ? ` (was bound to ${answer.revokedKeyId})` : " (it was bound to no key)";
    process.stdout.write(
      `readmitted worker ${answer.workerId}${was}: its next registration binds the key it presents; ` +
        "a revoked key stays refused, so the worker needs a new one\n",
    );
    return EXIT.ok;
  } finally {
    api.close();
  }
}

/** Registers `pancode keys`, `pancode keys revoke` and `pancode keys readmit`. */
export function registerKeys(program: Command, run: CommandRunner): void {
  const keys = program
    .command("keys")
    .description("the cluster's receipt-signing public keys (coordinator and workers)")
    .option("--json", "print keys.json, the file `pancode receipt verify --keys` reads")
    .action((options: { json?: boolean }) => run("keys", () => keysCommand(options)));
  keys
    .command("revoke")
    .description("revoke a worker's signing key: receipts it signed fail verification from now on")
    .argument("<key-id>", "sha256:<hex> key id, or at least 8 of its hex digits")
    .option("--json", "print the revoked key as JSON")
    // `--json` after the subcommand is claimed by the parent's option of the same name: read both.
    .action((keyId: string, _options: unknown, command: Command) =>
      run("keys revoke", () => keysRevokeCommand(keyId, command.optsWithGlobals())),
    );
  keys
    .command("readmit")
    .description("let a worker id whose key was revoked join again with a new key (audited)")
    .argument("<worker-id>", "the worker's id (PANCODE_WORKER_ID)")
    .option("--json", "print the result as JSON")
    .action((workerId: string, _options: unknown, command: Command) =>
      run("keys readmit", () => keysReadmitCommand(workerId, command.optsWithGlobals())),
    );
}
