import {
  closeSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";

/** File layout: MAGIC, then the CRC-32 of the payload (uint32 LE), then V8's cached data. */
const MAGIC = Buffer.from("pancode-v8-cache-1\n");
const HEADER_BYTES = MAGIC.length + 4;
const SUFFIX = ".v8cache";

/**
 * The cache file of one bundle build, Node release, set of Node flags and command: the bundle's content hash comes
 * first, so an upgrade never meets bytecode compiled from other source, and a new build's first write removes the
 * old files. V8 rejects data made under other flags (`--cpu-prof`, some NODE_OPTIONS), so each set has its own file
 * rather than two ways of starting rewriting one file in turn.
 */
export function cacheFileName(bundleHash: string, command: string): string {
  const flags = crc32(`${process.execArgv.join(" ")}\0${process.env.NODE_OPTIONS ?? ""}`).toString(16);
  return `${bundleHash}-${process.version}-${process.arch}-${flags}-${command}${SUFFIX}`;
}

/**
 * V8's cached data in `dir/name`, or undefined when there is none or it is not intact (V8 itself checks only
 * versions, flags and the source length, not the bytes: a truncated or corrupted file would reach the compiler).
 * The file must belong to this user and be writable by no one else, like its directory.
 */
export function readCodeCache(dir: string, name: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, name), "r");
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.uid !== process.getuid?.() || (stats.mode & 0o022) !== 0) return undefined;
    const file = readFileSync(fd);
    if (file.length <= HEADER_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const payload = file.subarray(HEADER_BYTES);
    return file.readUInt32LE(MAGIC.length) === crc32(payload) ? payload : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Cache files of other bundle builds are removed once this old: several checkouts of one user do not take turns. */
const STALE_MS = 24 * 60 * 60 * 1000;

/**
 * Writes `data` as `dir/name` atomically (a private temp file renamed over it, so a concurrent CLI reads the old
 * file or the new one, never half of one) and removes the day-old cache files of other bundle builds. Best effort:
 * a failure only means the next start compiles again.
 */
export function writeCodeCache(dir: string, name: string, data: Buffer, bundleHash: string): void {
  // Unique per process and moment; "wx" refuses a file that exists, so a clash fails instead of sharing one.
  const temp = join(dir, `.${name}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header);
    header.writeUInt32LE(crc32(data), MAGIC.length);
    writeFileSync(temp, Buffer.concat([header, data]), { mode: 0o600, flag: "wx" });
    renameSync(temp, join(dir, name));
    for (const old of readdirSync(dir)) {
      if (!old.endsWith(SUFFIX) || old.startsWith(`${bundleHash}-`)) continue;
      const path = join(dir, old);
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    }
  } catch {
    rmSync(temp, { force: true });
  }
}
