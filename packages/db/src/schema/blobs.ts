import { bigint, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Index of the coordinator's content-addressed blob store; the bytes live on disk, keyed by digest. */
export const blobs = pgTable("blobs", {
  /** "sha256:<hex>" of the bytes; a row exists only after the bytes were written and verified. */
  digest: text("digest").primaryKey(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  /** 'bundle' | 'state' | 'patch' | 'log'; informational (the same bytes keep the kind of their first upload). */
  kind: text("kind").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
