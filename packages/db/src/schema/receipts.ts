import { pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { runs } from "./runs.js";

/** Signed run receipts. At most one per run; immutable once written. */
export const receipts = pgTable("receipts", {
  id: text("id").primaryKey(),
  /** Unique: a run has at most one receipt. runs.receipt_id points back, set in the same tx. */
  runId: text("run_id")
    .notNull()
    .unique("receipts_run_id_unique")
    .references(() => runs.id, { onDelete: "cascade" }),
  /** Digest of `body`, the value the signature covers. */
  contentHash: text("content_hash").notNull(),
  /** Canonical JSON of the receipt, stored verbatim so the hash can be re-checked byte for byte. */
  body: text("body").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
