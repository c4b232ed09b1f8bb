import { sql } from "drizzle-orm";
import { boolean, check, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Receipt-signing public keys of the cluster: the coordinator's and one per worker (registered at join). */
export const signingKeys = pgTable(
  "keys",
  {
    /** "sha256:<hex>" of the raw Ed25519 public key. */
    keyId: text("key_id").primaryKey(),
    /** 'worker' | 'coordinator'. */
    role: text("role").$type<"worker" | "coordinator">().notNull(),
    /** Worker id, or 'coordinator'. A worker that lost its data dir registers a new key; the old one stays. */
    ownerId: text("owner_id").notNull(),
    publicKeyPem: text("public_key_pem").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** A revoked key no longer makes a receipt valid; rows are never deleted, so old receipts stay explainable. */
    revoked: boolean("revoked").notNull().default(false),
  },
  (t) => [index("keys_owner_idx").on(t.ownerId), check("keys_role_check", sql`${t.role} in ('worker', 'coordinator')`)],
);
