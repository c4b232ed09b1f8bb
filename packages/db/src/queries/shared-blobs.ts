import { and, eq, lt, notExists, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { blobChunks, blobContents } from "../schema/index.js";
import { preparedPer } from "./prepared.js";

/** Where a stored blob's chunks are. */
export interface BlobContent {
  uploadId: string;
  bytes: number;
  chunks: number;
}

/** Stores chunk `seq` of an upload in progress (its bytes are not a blob until {@link commitBlobUpload}). */
export async function putBlobChunk(db: DbHandle, uploadId: string, seq: number, data: Uint8Array): Promise<void> {
  await db.insert(blobChunks).values({ uploadId, seq, data });
}

/**
 * Names a verified upload as the content of `digest`; true when it became it, false when another upload already
 * was (then this one's chunks are dropped: the same bytes are stored once).
 */
export async function commitBlobUpload(db: DbHandle, digest: string, content: BlobContent): Promise<boolean> {
  const inserted = await db
    .insert(blobContents)
    .values({ digest, ...content })
    .onConflictDoNothing()
    .returning({ digest: blobContents.digest });
  if (inserted.length > 0) return true;
  await discardBlobUpload(db, content.uploadId);
  return false;
}

/** Drops the chunks of an upload that did not become a blob. */
export async function discardBlobUpload(db: DbHandle, uploadId: string): Promise<void> {
  await db.delete(blobChunks).where(eq(blobChunks.uploadId, uploadId));
}

const blobContentByDigest = preparedPer((db) =>
  db
    .select({ uploadId: blobContents.uploadId, bytes: blobContents.bytes, chunks: blobContents.chunks })
    .from(blobContents)
    .where(eq(blobContents.digest, sql.placeholder("digest")))
    .prepare("pancode_blob_content_by_digest"),
);

/** The content of `digest`, or undefined when it is not stored. */
export async function getBlobContent(db: DbHandle, digest: string): Promise<BlobContent | undefined> {
  const [row] = await blobContentByDigest(db).execute({ digest });
  return row;
}

/** Chunk `seq` of a stored upload, or undefined. */
export async function readBlobChunk(db: DbHandle, uploadId: string, seq: number): Promise<Uint8Array | undefined> {
  const [row] = await db
    .select({ data: blobChunks.data })
    .from(blobChunks)
    .where(and(eq(blobChunks.uploadId, uploadId), eq(blobChunks.seq, seq)));
  return row?.data;
}

/** Drops chunks older than `before` that belong to no stored blob (uploads of a replica that died); returns how many. */
export async function removeBlobLeftovers(db: DbHandle, before: Date): Promise<number> {
  const removed = await db
    .delete(blobChunks)
    .where(
      and(
        lt(blobChunks.createdAt, before),
        notExists(db.select({ one: sql`1` }).from(blobContents).where(eq(blobContents.uploadId, blobChunks.uploadId))),
      ),
    )
    .returning({ seq: blobChunks.seq });
  return removed.length;
}
