import { join } from "node:path";
import { PanCodeError } from "@pancode/core";
import type { Database } from "@pancode/db";
import { type BlobStore, FileBlobStore } from "./blob-store.js";
import { PostgresBlobStore } from "./postgres-blob-store.js";
import { parseS3Location, S3BlobStore, s3ClientFromEnv } from "./s3-blob-store.js";

/**
 * The blob store PANCODE_BLOB_STORE names: `postgres` and `s3://bucket/prefix` are shared by every coordinator
 * replica (with a local cache of files for git under `<data dir>/blobs`), `file` is that directory alone.
 */
export function openBlobStore(kind: string, db: Database, dataDir: string): BlobStore {
  const local = new FileBlobStore(join(dataDir, "blobs"));
  if (kind === "file") return local;
  if (kind === "postgres") {
    if (db.driver !== "postgres") {
      throw new PanCodeError("CONFIG_INVALID", "PANCODE_BLOB_STORE=postgres needs DATABASE_URL (a Postgres server)");
    }
    return new PostgresBlobStore(db, local);
  }
  return new S3BlobStore(s3ClientFromEnv(), parseS3Location(kind), local);
}
