import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@pancode/telemetry";
import { z } from "zod";
import { ensurePrivateDir } from "./private-dir.js";

const OUTCOME_FILE = "outcome.json";
const PATCH_FILE = "patch.diff";
/** Where entries that cannot be read go, out of the sender's way but kept for a human to look at. */
const QUARANTINE_DIR = "quarantine";
/** Directories being written start with this; a crash leaves them behind, and the next scan removes them. */
const TEMP_PREFIX = ".tmp-";

const PatchSummary = z.object({
  digest: z.string(),
  bytes: z.number().int().nonnegative(),
  files: z.array(z.object({ path: z.string(), status: z.string(), oldPath: z.string(), binary: z.boolean() })),
});

/** A CompleteRun request without its lease (the record holds the lease once). */
const Completion = z.object({
  status: z.string(),
  hasExitCode: z.boolean(),
  exitCode: z.number(),
  error: z.string(),
  outputTail: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  costUsd: z.number(),
  patch: PatchSummary.optional(),
  imageDigest: z.string(),
  receiptEnvelope: z.string(),
  inputTokens: z.number(),
  outputTokens: z.number(),
});
export type OutboxCompletion = z.infer<typeof Completion>;

/** The durable outcome of one finished attempt, as `outcome.json` stores it (version 1). */
const OutcomeFile = z.object({
  version: z.literal(1),
  runId: z.string().min(1),
  attempt: z.number().int().positive(),
  leaseToken: z.string().min(1),
  /** The worker that executed the attempt: only it may deliver the outcome (the coordinator checks). */
  workerId: z.string().min(1),
  recordedAt: z.string(),
  /** Events of the run the coordinator did not take yet (usage reports among them): sent before the completion. */
  events: z.array(z.object({ at: z.string(), kind: z.string(), text: z.string() })),
  completion: Completion,
  /** Signed completion sent instead when the coordinator refuses the patch for good (too large): the run ends error. */
  refusedPatchCompletion: Completion,
});
export type OutcomeFile = z.infer<typeof OutcomeFile>;

/** One outbox entry: the outcome, and the patch bytes when the run produced a patch. */
export interface OutboxEntry {
  outcome: OutcomeFile;
  patch: Buffer | null;
}

/** `<runId>-<attempt>`: the entry's directory name. */
export function entryName(outcome: Pick<OutcomeFile, "runId" | "attempt">): string {
  return `${outcome.runId}-${outcome.attempt}`;
}

async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  const file = await open(path, "wx", 0o600);
  try {
    await file.writeFile(data);
    // The rename that publishes the entry must never expose a file whose bytes are still in the page cache only.
    await file.sync();
  } finally {
    await file.close();
  }
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * The worker's durable outbox (`<data dir>/outbox/<runId>-<attempt>/`, 0700, files 0600): a finished attempt's
 * outcome is written here before anything is sent, and removed only once the coordinator acknowledged it (or said
 * for good that it no longer wants it). Each entry appears atomically: written in a temporary directory, synced,
 * then renamed into place. An entry that cannot be read is moved to `outbox/quarantine/` with a log line; it never
 * stops the worker.
 */
export class Outbox {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly logger: Logger,
  ) {
    this.dir = join(dataDir, "outbox");
  }

  /** Stores `entry` durably; resolves once it survives a crash. Replaces an entry of the same attempt. */
  async put(entry: OutboxEntry): Promise<void> {
    await ensurePrivateDir(this.dir);
    const name = entryName(entry.outcome);
    const temp = join(this.dir, `${TEMP_PREFIX}${name}-${randomBytes(4).toString("hex")}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      await writePrivateFile(join(temp, OUTCOME_FILE), JSON.stringify(OutcomeFile.parse(entry.outcome)));
      if (entry.patch && entry.patch.length > 0) await writePrivateFile(join(temp, PATCH_FILE), entry.patch);
      await syncDir(temp);
      await rm(join(this.dir, name), { recursive: true, force: true });
      await rename(temp, join(this.dir, name));
      await syncDir(this.dir);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Rewrites the outcome of an existing entry (once its events were delivered): the file is replaced atomically. */
  async update(outcome: OutcomeFile): Promise<void> {
    const path = join(this.dir, entryName(outcome));
    const temp = join(path, `${TEMP_PREFIX}${OUTCOME_FILE}`);
    await rm(temp, { force: true });
    await writePrivateFile(temp, JSON.stringify(OutcomeFile.parse(outcome)));
    await rename(temp, join(path, OUTCOME_FILE));
    await syncDir(path);
  }

  /** Removes an entry: delivered, or no longer wanted by the coordinator. */
  async remove(outcome: Pick<OutcomeFile, "runId" | "attempt">): Promise<void> {
    await rm(join(this.dir, entryName(outcome)), { recursive: true, force: true });
  }

  /**
   * Every readable entry, oldest first. Leftovers of interrupted writes are removed; unreadable entries (corrupt
   * JSON, missing patch, wrong shape) are quarantined with a log line.
   */
  async scan(): Promise<OutboxEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const entries: OutboxEntry[] = [];
    for (const name of names.sort()) {
      if (name === QUARANTINE_DIR) continue;
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(join(this.dir, name), { recursive: true, force: true });
        continue;
      }
      const entry = await this.read(name);
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => a.outcome.recordedAt.localeCompare(b.outcome.recordedAt));
  }

  private async read(name: string): Promise<OutboxEntry | undefined> {
    const path = join(this.dir, name);
    try {
      const outcome = OutcomeFile.parse(JSON.parse(await readFile(join(path, OUTCOME_FILE), "utf8")));
      if (entryName(outcome) !== name) throw new Error(`entry ${name} holds the outcome of ${entryName(outcome)}`);
      const bytes = outcome.completion.patch?.bytes ?? 0;
      const patch = bytes > 0 ? await readFile(join(path, PATCH_FILE)) : null;
      if (patch && patch.length !== bytes)
        throw new Error(`patch has ${patch.length} bytes, the outcome says ${bytes}`);
      return { outcome, patch };
    } catch (err) {
      await this.quarantine(name, err);
      return undefined;
    }
  }

  /** Moves an entry out of the sender's way, with a log line saying why (unreadable, or refused by the coordinator). */
  async quarantine(name: string, err: unknown): Promise<void> {
    const target = join(this.dir, QUARANTINE_DIR, `${name}-${Date.now()}`);
    try {
      await ensurePrivateDir(join(this.dir, QUARANTINE_DIR));
      await rename(join(this.dir, name), target);
      this.logger.error("outbox entry quarantined; its run is not delivered from here", {
        entry: name,
        movedTo: target,
        error: err as Error,
      });
    } catch (moveErr) {
      this.logger.error("unreadable outbox entry could not be quarantined; skipped", {
        entry: name,
        error: err as Error,
        moveError: moveErr as Error,
      });
    }
  }
}
