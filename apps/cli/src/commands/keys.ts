import type { Command } from "commander";
import type { CommandRunner } from "../command-runner.js";
import { connect } from "../connection.js";
import { EXIT } from "../exit-codes.js";
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

/** Registers `pancode keys`. */
export function registerKeys(program: Command, run: CommandRunner): void {
  program
    .command("keys")
    .description("the cluster's receipt-signing public keys (coordinator and workers)")
    .option("--json", "print keys.json, the file `pancode receipt verify --keys` reads")
    .action((options: { json?: boolean }) => run("keys", () => keysCommand(options)));
}
