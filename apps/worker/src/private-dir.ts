import { chmod, mkdir } from "node:fs/promises";

/**
 * Creates `path` (and missing parents) owner-only, and tightens it to 0700 when it already existed with looser
 * modes: a data dir holds tokens, keys, blobs and the database, none of them for other users of the host.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}
