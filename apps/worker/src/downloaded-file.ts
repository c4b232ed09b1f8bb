import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Writes a downloaded blob to a temp file under `dir` (the OS temp dir without one) as its chunks arrive, hands the
 * file to `use` (git reads a bundle from a file), and removes it. A repository's history never sits whole in the
 * worker's memory; a download that fails its digest check throws before `use` runs.
 */
export async function withDownloadedFile<T>(
  chunks: AsyncIterable<Uint8Array>,
  dir: string | undefined,
  use: (file: string) => Promise<T>,
): Promise<T> {
  const temp = await mkdtemp(join(dir ?? tmpdir(), "pancode-download-"));
  try {
    const file = join(temp, "blob");
    await pipeline(Readable.from(chunks), createWriteStream(file, { mode: 0o600 }));
    return await use(file);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
