import { EMPTY_DIGEST, isTerminalStatus, PanCodeError } from "@pancode/core";
import type { Database, EventRow, RunCostRow, RunRow, RunUsageRow } from "@pancode/db";
import type { BlobSource } from "@pancode/proto";
import type { BlobStore } from "../blob-store.js";
import type { RunNotifier, RunSubscription } from "./run-notifier.js";

export type { RunCostRow, RunRow };

/** The run store as the read side of runs uses it. */
export type RunReadStore = Pick<
  Database,
  "getRun" | "findRunsByPrefix" | "listRuns" | "listActiveRuns" | "listEvents" | "getRunUsage" | "listRunCosts"
>;

/** What a watch stream yields: new events, and the run itself whenever its status changed. */
export type WatchItem = { event: EventRow } | { run: RunRow };

/** How long a follow-watch sleeps between database reads when nothing notifies it (missed wake-ups, other nodes). */
const WATCH_POLL_MS = 1000;

/** Read side of runs for clients: lookups by id or unique prefix, listings, event streams, patches. */
export class RunQueries {
  constructor(private readonly deps: { db: RunReadStore; blobs: BlobStore; notifier: RunNotifier }) {}

  /** Finds a run by full id or unique prefix (at least 4 characters), with errors that say what to type. */
  async resolve(idOrPrefix: string): Promise<RunRow> {
    const id = idOrPrefix.trim();
    if (!id) throw new PanCodeError("INVALID_ARGUMENT", "a run id is required");
    const exact = await this.deps.db.getRun(id);
    if (exact) return exact;
    if (id.length < 4)
      throw new PanCodeError("INVALID_ARGUMENT", `run id prefix "${id}" is too short; give at least 4 characters`);
    const matches = await this.deps.db.findRunsByPrefix(id, 2);
    if (matches.length === 0)
      throw new PanCodeError("NOT_FOUND", `no run with id or prefix "${id}" (see pancode runs)`);
    if (matches.length > 1)
      throw new PanCodeError("INVALID_ARGUMENT", `run id prefix "${id}" is ambiguous; give more characters`);
    return matches[0] as RunRow;
  }

  /** The newest runs, optionally of one person and/or one team. */
  list(limit: number, of: { userName?: string; team?: string } = {}): Promise<RunRow[]> {
    return this.deps.db.listRuns({ limit: Math.min(Math.max(limit || 20, 1), 1000), ...of });
  }

  /** Runs still pending or running, oldest first. */
  active(): Promise<RunRow[]> {
    return this.deps.db.listActiveRuns();
  }

  /** The live progress of each run that reported any, by run id (one query for all of them). */
  progress(runs: readonly RunRow[]): Promise<Map<string, RunUsageRow>> {
    return this.deps.db.getRunUsage(runs.map((r) => r.id));
  }

  /** What the newest `limit` runs cost, for the cost and metrics reports. */
  costs(limit: number): Promise<RunCostRow[]> {
    return this.deps.db.listRunCosts(limit);
  }

  /** The run's patch, to stream from disk (empty when it changed nothing); refused until the run ended. */
  async patch(idOrPrefix: string): Promise<BlobSource> {
    const run = await this.resolve(idOrPrefix);
    if (!isTerminalStatus(run.status)) {
      throw new PanCodeError("INVALID_ARGUMENT", `run ${run.id} is still ${run.status}; its patch exists once it ends`);
    }
    const digest = run.patchDigest || EMPTY_DIGEST;
    return this.deps.blobs.source(digest);
  }

  /**
   * Streams events after `afterSeq`, plus a run snapshot first and on every status change. With `follow`, keeps
   * going until the run is final and every event was delivered.
   */
  async *watch(idOrPrefix: string, afterSeq: number, follow: boolean, signal: AbortSignal): AsyncGenerator<WatchItem> {
    const run = await this.resolve(idOrPrefix);
    // Listening before the first read: a change between a read and the wait below must not cost a poll interval.
    const changes = this.deps.notifier.subscribe(run.id);
    try {
      yield* this.follow(run, afterSeq, follow, signal, changes);
    } finally {
      changes.close();
    }
  }

  private async *follow(
    first: RunRow,
    afterSeq: number,
    follow: boolean,
    signal: AbortSignal,
    changes: RunSubscription,
  ): AsyncGenerator<WatchItem> {
    let run = first;
    let lastStatus = run.status;
    yield { run };
    let seq = afterSeq;
    while (!signal.aborted) {
      // Both reads at once: a run read as ended is followed by a last read of its events below, so the events
      // need not be read before it.
      const [events, latest] = await Promise.all([
        this.deps.db.listEvents(run.id, seq, 500),
        this.deps.db.getRun(run.id),
      ]);
      for (const event of events) {
        seq = event.seq;
        yield { event };
      }
      if (events.length === 500) continue;
      run = latest ?? run;
      if (run.status !== lastStatus) {
        lastStatus = run.status;
        yield { run };
      }
      if (!follow) return;
      if (isTerminalStatus(run.status)) {
        // A final read: events appended together with the terminal status are delivered before the stream ends.
        const tail = await this.deps.db.listEvents(run.id, seq, 500);
        for (const event of tail) yield { event };
        return;
      }
      await changes.next(WATCH_POLL_MS, signal);
    }
  }
}
