import { bigint, customType, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Raw bytes (Postgres `bytea`); node-postgres and PGlite both hand them over as Buffer/Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

/**
 * Bytes of blobs kept in Postgres (PANCODE_BLOB_STORE=postgres), so every coordinator replica reads what any of them
 * received. An upload writes its chunks under a fresh upload id as they arrive; only a verified upload gets a
 * `blob_contents` row naming it, so a reader never sees half a blob and an aborted upload is only unnamed chunks.
 */
export const blobChunks = pgTable(
  "blob_chunks",
  {
    uploadId: text("upload_id").notNull(),
    /** 0-based position of the chunk in the blob. */
    seq: integer("seq").notNull(),
    data: bytea("data").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.seq] }), index("blob_chunks_created_at_idx").on(t.createdAt)],
);

/** The verified upload that holds each blob (first complete upload wins; later ones are dropped). */
export const blobContents = pgTable("blob_contents", {
  digest: text("digest").primaryKey(),
  uploadId: text("upload_id").notNull(),
  bytes: bigint("bytes", { mode: "number" }).notNull(),
  chunks: integer("chunks").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
