import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** File names of the generated tokens inside a data dir; the local CLI reads the client one. */
export const CLIENT_TOKEN_FILE = "client.token";
export const WORKER_TOKEN_FILE = "worker.token";
/** Secret run tokens are an HMAC of (nested dispatch); never leaves the coordinator. */
export const RUN_TOKEN_SECRET_FILE = "run-token.secret";

/**
 * Returns `configured` when set, else the token stored in `<dataDir>/<file>`, creating a random one (mode 0600)
 * on first use. This is how `pancode up` gives the local CLI and its workers their credentials.
 */
export async function resolveToken(configured: string, dataDir: string, file: string): Promise<string> {
  if (configured) return configured;
  const path = join(dataDir, file);
  try {
    const existing = (await readFile(path, "utf8")).trim();
    // A token file left readable by an older version is tightened.
    await chmod(path, 0o600);
    if (existing) return existing;
  } catch (_err) {
    // Not created yet: fall through and create it.
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString("base64url");
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  return token;
}
