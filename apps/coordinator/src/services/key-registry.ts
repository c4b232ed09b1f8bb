import { PanCodeError } from "@pancode/core";
import type { Database, SigningKeyRow } from "@pancode/db";
import type { Logger } from "@pancode/telemetry";

export type { SigningKeyRow };

/** The key store as the registry of receipt-signing keys uses it. */
export type KeyStore = Pick<Database, "listKeys" | "revokeKey">;

/** Shortest key-id prefix (hex digits after `sha256:`) accepted, so a typo cannot match a key by accident. */
const MIN_PREFIX_HEX = 8;

/**
 * The cluster's receipt-signing keys and their revocation. A revoked key stays listed (auditors need it to explain
 * why old receipts no longer verify) but no receipt signed by it passes verification, and the worker id bound to it
 * can no longer call the coordinator or register again, with any key, until readmitted (see WorkerIdentities).
 */
export class KeyRegistry {
  constructor(private readonly deps: { db: KeyStore; logger: Logger; coordinatorKeyId: string }) {}

  /** Every key, oldest first. */
  list(): Promise<SigningKeyRow[]> {
    return this.deps.db.listKeys();
  }

  /**
   * Revokes the key with this id or unique id prefix. Revoking a revoked key is a no-op that returns it. The
   * coordinator's key in use cannot be revoked: every receipt would fail, and the coordinator would keep signing.
   */
  async revoke(idOrPrefix: string, actor: string): Promise<SigningKeyRow> {
    const key = await this.find(idOrPrefix);
    if (key.keyId === this.deps.coordinatorKeyId) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `key ${key.keyId} is the coordinator's signing key in use; replace the coordinator's key file and restart it before revoking this key`,
      );
    }
    if (key.revoked) return key;
    const revoked = await this.deps.db.revokeKey(key.keyId, (row) => ({
      category: "keys",
      action: "revoked",
      runId: null,
      actor,
      message: `revoked the signing key of ${row.role} ${row.ownerId} (${row.keyId})`,
      data: { keyId: row.keyId, role: row.role, ownerId: row.ownerId },
    }));
    if (!revoked) throw new PanCodeError("NOT_FOUND", `no signing key ${key.keyId}`);
    this.deps.logger.warn("signing key revoked", { keyId: key.keyId, role: key.role, ownerId: key.ownerId });
    return revoked;
  }

  private async find(idOrPrefix: string): Promise<SigningKeyRow> {
    const wanted = idOrPrefix.trim().toLowerCase();
    const hex = wanted.startsWith("sha256:") ? wanted.slice("sha256:".length) : wanted;
    if (!/^[0-9a-f]+$/.test(hex) || hex.length < MIN_PREFIX_HEX) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `"${idOrPrefix}" is not a key id; give a sha256:<hex> key id or at least ${MIN_PREFIX_HEX} of its hex digits (see \`pancode keys\`)`,
      );
    }
    const matches = (await this.deps.db.listKeys()).filter((k) => k.keyId.startsWith(`sha256:${hex}`));
    if (matches.length === 0) throw new PanCodeError("NOT_FOUND", `no signing key matches "${idOrPrefix}"`);
    if (matches.length > 1) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `"${idOrPrefix}" matches ${matches.length} keys; give more digits: ${matches.map((k) => k.keyId).join(", ")}`,
      );
    }
    return matches[0] as SigningKeyRow;
  }
}
