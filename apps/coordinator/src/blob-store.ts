import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EMPTY_DIGEST, isDigest, PanCodeError } from "@pancode/core";

/**
 * Content-addressed files on the coordinator's disk: `<root>/sha256/<2 hex>/<64 hex>`. Writes go through a temp
 * file and a rename, so a reader never sees half a blob and a crash leaves no corrupt entry.
 */
export class BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(digest: string): string {
    if (!isDigest(digest)) throw new PanCodeError("INVALID_ARGUMENT", `not a sha256 digest: "${digest}"`);
    const hex = digest.slice("sha256:".length);
    return join(this.root, "sha256", hex.slice(0, 2), hex);
  }

  /** Stores verified content under its digest (idempotent). */
  async put(digest: string, data: Uint8Array): Promise<void> {
    const path = this.pathOf(digest);
    if (await this.has(digest)) return;
    // Owner-only: workspaces and patches are the submitters' code.
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${randomUUID()}.tmp`;
    try {
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** True when the blob is stored. The empty blob always exists. */
  async has(digest: string): Promise<boolean> {
    if (digest === EMPTY_DIGEST) return true;
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch (_err) {
      // Missing file: not stored.
      return false;
    }
  }

  /** The content of a stored blob; NOT_FOUND otherwise. */
  async get(digest: string): Promise<Buffer> {
    if (digest === EMPTY_DIGEST) return Buffer.alloc(0);
    try {
      return await readFile(this.pathOf(digest));
    } catch (err) {
      throw new PanCodeError("NOT_FOUND", `blob ${digest} is not stored on the coordinator`, { cause: err });
    }
  }
}
