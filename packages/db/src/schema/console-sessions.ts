import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Web console sessions, shared by every coordinator replica (a login on one is good on all, and survives a
 * restart). The cookie's id is kept only as a sha256, and the token it stands for only sealed with a key derived from
 * the cluster's run-token secret, which is not in the database: a copy of this table opens no session.
 */
export const consoleSessions = pgTable(
  "console_sessions",
  {
    /** Lower-case hex sha256 of the session id the cookie carries. */
    idHash: text("id_hash").primaryKey(),
    /** The token, AES-256-GCM sealed (base64url of iv, tag and ciphertext), bound to `idHash`. */
    tokenSealed: text("token_sealed").notNull(),
    /** Lower-case hex sha256 of the token: caps how many sessions one token holds. */
    tokenHash: text("token_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("console_sessions_token_idx").on(t.tokenHash), index("console_sessions_expiry_idx").on(t.expiresAt)],
);
