import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Which Ed25519 key each worker id is bound to: the first registration of an id binds it, later registrations must
 * prove that key, and a revoked binding keeps the id out until an admin readmits it (the row is then deleted).
 */
export const workerIdentities = pgTable(
  "worker_identities",
  {
    workerId: text("worker_id").primaryKey(),
    /** "sha256:<hex>" of the bound key (a row of `keys`). */
    keyId: text("key_id").notNull(),
    /** "sha256:<hex>" of the current session token's secret; the next registration replaces it. */
    sessionHash: text("session_hash").notNull().default(""),
    boundAt: timestamp("bound_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Set when the bound key is revoked: the id may not join again, with any key, until readmitted. */
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("worker_identities_key_idx").on(t.keyId)],
);
