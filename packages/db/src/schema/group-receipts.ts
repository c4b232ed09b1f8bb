import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Signed receipts of batches and chains (one per batch or chain, written when it ended; immutable). */
export const groupReceipts = pgTable("group_receipts", {
  id: text("id").primaryKey(),
  /** batch | chain */
  kind: text("kind").$type<"batch" | "chain">().notNull(),
  /** The batch or chain id; unique: one receipt each. batches/chains.receipt_id points back. */
  groupId: text("group_id").notNull().unique("group_receipts_group_id_unique"),
  /** Digest of the payload the signature covers. */
  contentHash: text("content_hash").notNull(),
  /** DSSE envelope JSON, stored verbatim. */
  body: text("body").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
