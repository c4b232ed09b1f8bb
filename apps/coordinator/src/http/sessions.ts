import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import type { Database } from "@pancode/db";

/** Longest a console session lives, whatever its token's expiry: a browser left open overnight logs in again. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** What a session stands for: the token it was opened with (roles are checked on every call, as for the CLI). */
export interface Session {
  token: string;
  expiresAt: number;
}

/** The rows the store keeps its sessions in: the database every replica shares. */
export type SessionRows = Pick<Database, "openConsoleSession" | "findConsoleSession" | "closeConsoleSession">;

/** A session id as {@link SessionStore.open} makes them: 32 random bytes, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Separates this key from every other use of the cluster secret it is derived from. */
const KEY_INFO = "pancode console session v1";

const IV_BYTES = 12;
const TAG_BYTES = 16;

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Console sessions in the database, so a login holds on every coordinator replica and across restarts: a random id
 * (the cookie) for a token. The database keeps the id's hash and the token sealed (AES-256-GCM, bound to that hash)
 * with a key derived from the cluster's run-token secret, which replicas share and the database does not hold. The
 * token is checked on every request, so a revoked token's session stops working at once; a logout on one replica
 * ends the session on all.
 */
export class SessionStore {
  readonly #key: Buffer;

  constructor(
    private readonly rows: SessionRows,
    clusterSecret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#key = Buffer.from(hkdfSync("sha256", clusterSecret, "", KEY_INFO, 32));
  }

  /** Opens a session for `token` until `tokenExpiresAt` (ms; 0 = never) or 12 h, whichever is sooner. */
  async open(token: string, tokenExpiresAt: number): Promise<{ id: string; session: Session }> {
    const cap = this.now() + SESSION_TTL_MS;
    const session = { token, expiresAt: tokenExpiresAt > 0 ? Math.min(cap, tokenExpiresAt) : cap };
    const id = randomBytes(32).toString("base64url");
    const idHash = sha256Hex(id);
    await this.rows.openConsoleSession(
      {
        idHash,
        tokenSealed: this.#seal(token, idHash),
        tokenHash: sha256Hex(token),
        expiresAt: new Date(session.expiresAt),
      },
      new Date(this.now()),
    );
    return { id, session };
  }

  /** The live session with this id, if any: an expired, unknown, malformed or unreadable one is none. */
  async get(id: string): Promise<Session | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const idHash = sha256Hex(id);
    const row = await this.rows.findConsoleSession(idHash, new Date(this.now()));
    const token = row ? this.#unseal(row.tokenSealed, idHash) : undefined;
    return row && token !== undefined ? { token, expiresAt: row.expiresAt.getTime() } : undefined;
  }

  async close(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await this.rows.closeConsoleSession(sha256Hex(id));
  }

  #seal(token: string, idHash: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv).setAAD(Buffer.from(idHash));
    const sealed = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
  }

  /** The token, or undefined when the row was sealed under another secret, for another id, or altered. */
  #unseal(sealed: string, idHash: string): string | undefined {
    const bytes = Buffer.from(sealed, "base64url");
    if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, bytes.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(idHash))
        .setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}
