import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { EMPTY_DIGEST, isDigest, PanCodeError } from "@pancode/core";
import { BlobCheck, type BlobSource, bufferSource } from "@pancode/proto";
import { type BlobStore, type FileBlobStore, type IncomingBlob, LEFTOVER_AGE_MS } from "./blob-store.js";

/** Multipart part size: S3's minimum for every part but the last, so an upload holds about one part in memory. */
const PART_BYTES = 5 * 1024 * 1024;

/** Where blobs go: `s3://bucket/prefix` of PANCODE_BLOB_STORE. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/** Parses `s3://bucket[/prefix]`; INVALID_ARGUMENT naming the variable otherwise. */
export function parseS3Location(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match?.[1]) {
    throw new PanCodeError("CONFIG_INVALID", `PANCODE_BLOB_STORE="${url}" is not s3://bucket[/prefix]`);
  }
  return { bucket: match[1], prefix: (match[2] ?? "").replace(/\/+$/, "") };
}

/**
 * Blobs in an S3-compatible object store (PANCODE_BLOB_STORE=s3://bucket/prefix; endpoint and credentials from the
 * AWS SDK's environment: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...). An upload streams as 5 MiB multipart
 * parts to `incoming/<uuid>`, is checked while it streams, and only a verified one is copied to `sha256/<hex>`, so
 * a reader never sees half a blob. `file()` copies a blob into a local cache on first use (git reads files).
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly at: S3Location,
    private readonly cache: FileBlobStore,
  ) {}

  private key(...parts: string[]): string {
    return [this.at.prefix, ...parts].filter(Boolean).join("/");
  }

  private keyOf(digest: string): string {
    if (!isDigest(digest)) throw new PanCodeError("INVALID_ARGUMENT", `not a sha256 digest: "${digest}"`);
    return this.key("sha256", digest.slice("sha256:".length));
  }

  async write(blob: IncomingBlob, chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const target = this.keyOf(blob.digest);
    const check = new BlobCheck({
      expectedDigest: blob.digest,
      expectedSize: blob.size,
      maxBytes: blob.maxBytes,
      limitSetting: blob.limitSetting,
    });
    const Bucket = this.at.bucket;
    const Key = this.key("incoming", `${randomUUID()}.part`);
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts: { ETag?: string; PartNumber: number }[] = [];
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      const PartNumber = parts.length + 1;
      const Body = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const { ETag } = await this.s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }));
      parts.push({ ETag, PartNumber });
    };
    try {
      for await (const chunk of chunks) {
        check.push(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= PART_BYTES) await flush();
      }
      check.finish();
      if (pendingBytes > 0 || parts.length === 0) await flush();
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw err;
    }
    try {
      await this.s3.send(new CopyObjectCommand({ Bucket, Key: target, CopySource: `${Bucket}/${Key}` }));
    } finally {
      await this.s3.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => undefined);
    }
  }

  async put(digest: string, data: Uint8Array): Promise<void> {
    if (await this.has(digest)) return;
    await this.write(
      { digest, size: data.length, maxBytes: data.length, limitSetting: "" },
      bufferSource(data).chunks(),
    );
  }

  async has(digest: string): Promise<boolean> {
    if (digest === EMPTY_DIGEST) return true;
    return (await this.size(digest)) !== undefined;
  }

  async source(digest: string): Promise<BlobSource> {
    if (digest === EMPTY_DIGEST) return bufferSource(Buffer.alloc(0));
    const size = await this.size(digest);
    if (size === undefined) throw notStored(digest);
    const { s3, at } = this;
    const Key = this.keyOf(digest);
    return {
      digest,
      size,
      // The object's body as it arrives: never whole in memory.
      async *chunks() {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: at.bucket, Key }));
        if (!Body) throw notStored(digest);
        yield* Body as Readable;
      },
    };
  }

  async file(digest: string): Promise<string> {
    if (!(await this.cache.has(digest))) {
      const source = await this.source(digest);
      await this.cache.write({ digest, size: source.size, maxBytes: source.size, limitSetting: "" }, source.chunks());
    }
    return this.cache.file(digest);
  }

  async get(digest: string): Promise<Buffer> {
    const parts: Uint8Array[] = [];
    for await (const chunk of (await this.source(digest)).chunks()) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** Temp objects of uploads a dead coordinator left (older than any live upload), and the local cache's. */
  async removeLeftovers(now = Date.now()): Promise<number> {
    const listed = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.at.bucket, Prefix: `${this.key("incoming")}/` }),
    );
    let removed = 0;
    for (const object of listed.Contents ?? []) {
      if (!object.Key || now - (object.LastModified?.getTime() ?? now) <= LEFTOVER_AGE_MS) continue;
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.at.bucket, Key: object.Key }));
      removed++;
    }
    return removed + (await this.cache.removeLeftovers(now));
  }

  private async size(digest: string): Promise<number | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.at.bucket, Key: this.keyOf(digest) }));
      return head.ContentLength ?? 0;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return undefined;
      throw new PanCodeError("UNAVAILABLE", `the blob store (S3 bucket ${this.at.bucket}) did not answer`, {
        cause: err,
        retryable: true,
      });
    }
  }
}

function notStored(digest: string): PanCodeError {
  return new PanCodeError("NOT_FOUND", `blob ${digest} is not stored on the coordinator`);
}

/**
 * What S3-compatible servers (MinIO, Ceph, ...) need: path-style addressing (they rarely serve bucket subdomains) and
 * checksums only where S3 requires them (the SDK's default trailing checksums are not understood by all of them).
 */
export const S3_COMPATIBLE = {
  forcePathStyle: true,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
} as const;

/** The S3 client of PANCODE_BLOB_STORE=s3://...: region, endpoint and credentials from the SDK's environment. */
export function s3ClientFromEnv(): S3Client {
  return new S3Client({ ...S3_COMPATIBLE, region: process.env.AWS_REGION || "us-east-1" });
}
