import { randomBytes } from "node:crypto";
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { isOwnerAlive, processStartTime } from "@pancode/sandbox";
import { ensurePrivateDir } from "./private-dir.js";

/** Directory of the id claims under a worker's data dir. */
const CLAIMS_DIR = "worker-ids";

/** Slots tried before giving up: far more worker processes than one host and data dir ever run. */
const MAX_SLOTS = 256;

interface Claim {
  host: string;
  pid: number;
  start: string;
}

/** This process's claim; the nonce tells two claims of one process apart (an `up` process may claim more). */
function ownClaim(): Claim & { nonce: string } {
  return {
    host: hostname(),
    pid: process.pid,
    start: processStartTime(process.pid),
    nonce: randomBytes(4).toString("hex"),
  };
}

async function readClaim(path: string): Promise<Claim | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as Claim;
  } catch (_err) {
    // Gone (moved aside meanwhile): nobody holds it. Claims appear whole (see createClaim), never torn.
    return undefined;
  }
}

/** Whether a claim may still be in use: a live process of this host, or any claim of another host (unknowable). */
function heldByOther(claim: Claim | undefined): boolean {
  return claim !== undefined && (claim.host !== hostname() || isOwnerAlive(claim));
}

/**
 * Creates the claim file if no one has; false when it exists. Written aside and hard-linked into place, so the
 * claim appears with its content at once: a reader never sees an empty file it would take for a dead owner's.
 */
async function createClaim(path: string): Promise<boolean> {
  const mine = JSON.stringify(ownClaim());
  return (await createOnce(path, mine)) === mine;
}

/**
 * Moves a dead owner's claim aside so {@link createClaim} can take the slot. Two processes may find the same dead
 * claim at once: only one rename moves it; if the loser moved the winner's fresh claim instead, it puts it back.
 */
async function releaseDeadClaim(path: string): Promise<void> {
  const aside = `${path}.dead-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (heldByOther(await readClaim(aside))) await rename(aside, path);
  else await rm(aside, { force: true });
}

/** Links `content` into `path` unless it exists; the content `path` holds either way. */
async function createOnce(path: string, content: string): Promise<string> {
  const draft = `${path}.new-${randomBytes(4).toString("hex")}`;
  await writeFile(draft, content, { mode: 0o600 });
  try {
    await link(draft, path);
    return content;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return (await readFile(path, "utf8")).trim();
    throw err;
  } finally {
    await rm(draft, { force: true });
  }
}

/**
 * The default id of a worker process: `<host>-<data dir tag>-<n>`. The tag is random, made once per data dir, so
 * two data dirs on one host (or two hosts of one name) never share an id; n is the lowest slot of the data dir that
 * no live process holds, claimed in `<data dir>/worker-ids/<n>.json` (host, pid and start time, so a reused pid is
 * not taken for the dead owner). A worker that crashes and starts again on the same data dir gets the same id back,
 * and with it the outcomes its outbox holds (the coordinator takes a completion only from the worker that holds the
 * attempt) and its signing key; sibling processes sharing the data dir get distinct ids.
 */
export async function claimWorkerId(dataDir: string): Promise<string> {
  const dir = join(dataDir, CLAIMS_DIR);
  await ensurePrivateDir(dir);
  const tag = await createOnce(join(dir, "tag"), randomBytes(3).toString("hex"));
  const idOf = (slot: number) => `${hostname()}-${tag}-${slot}`;
  for (let slot = 1; slot <= MAX_SLOTS; slot++) {
    const path = join(dir, `${slot}.json`);
    if (await createClaim(path)) return idOf(slot);
    if (heldByOther(await readClaim(path))) continue;
    await releaseDeadClaim(path);
    if (await createClaim(path)) return idOf(slot);
  }
  throw new Error(`no free worker id slot among ${MAX_SLOTS} in ${dir}; set PANCODE_WORKER_ID`);
}
