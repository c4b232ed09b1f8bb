import type { JetStreamManager } from "@nats-io/jetstream";
import { isStreamNotFound } from "./nats-connection.js";
import type { QueuedTaskRef } from "./types.js";

/**
 * Most interior deletions a stream info is asked to list. A work queue deletes each message as it is acked, so a
 * gap opens behind every message still waiting; past this many the list would approach NATS's payload limit, and
 * each message is looked up alone instead.
 */
const MAX_LISTED_DELETIONS = 10_000;

/** Messages read at once to check which run they hold (the first time each is asked). */
const READS_AT_ONCE = 100;

/** Which sequences the task stream still stores, from a stream info. */
interface StoredSeqs {
  /** When this incarnation of the stream was created: a recreated stream numbers its messages from 1 again. */
  created: string;
  first: number;
  last: number;
  /** Interior deletions; undefined when there were too many to list. */
  deleted: ReadonlySet<number> | undefined;
}

/**
 * {@link TaskBus.hasQueuedTasks} on JetStream: one stream info (two when it lists deletions) per call instead of
 * one message look-up per task. A sequence is still stored when it lies between the stream's first and last and
 * is not among its deletions; that it holds the run's task (and not another run's, after the stream was recreated)
 * is checked by reading the message once, the first time it is asked, and remembered for this incarnation of the
 * stream. The answer is as exact as a look-up per task at the time of the stream info.
 */
export class QueuedTaskLookup {
  private incarnation = "";
  /** Sequence -> run whose task it was read to hold, in the current incarnation. */
  private readonly verified = new Map<number, string>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    /** Reads one message: whether `seq` holds the task of `runId` (the single-task look-up). */
    private readonly readTask: (seq: number, runId: string) => Promise<boolean>,
  ) {}

  async hasQueuedTasks(tasks: readonly QueuedTaskRef[]): Promise<boolean[]> {
    if (tasks.length === 0) return [];
    const stored = await this.storedSeqs();
    if (!stored) return tasks.map(() => false);
    if (stored.created !== this.incarnation) {
      this.incarnation = stored.created;
      this.verified.clear();
    }
    this.forgetGone(stored);
    const answers: boolean[] = [];
    // The reads go out a chunk at a time, so the client writes a chunk's requests to its socket together.
    for (let i = 0; i < tasks.length; i += READS_AT_ONCE) {
      const chunk = tasks.slice(i, i + READS_AT_ONCE);
      answers.push(...(await Promise.all(chunk.map((task) => this.isQueued(task, stored)))));
    }
    return answers;
  }

  private async isQueued({ seq, runId }: QueuedTaskRef, stored: StoredSeqs): Promise<boolean> {
    if (!isStored(seq, stored)) return false;
    if (stored.deleted && this.verified.get(seq) === runId) return true;
    const queued = await this.readTask(seq, runId);
    if (queued) this.verified.set(seq, runId);
    return queued;
  }

  /** Drops what it remembers of messages the stream no longer stores. */
  private forgetGone(stored: StoredSeqs): void {
    for (const seq of this.verified.keys()) if (!isStored(seq, stored)) this.verified.delete(seq);
  }

  private async storedSeqs(): Promise<StoredSeqs | undefined> {
    try {
      const info = await this.jsm.streams.info(this.stream);
      // The server leaves num_deleted out when it is 0.
      const deletions = (state: { num_deleted?: number }) => state.num_deleted ?? 0;
      const count = deletions(info.state);
      const listed =
        count > 0 && count <= MAX_LISTED_DELETIONS
          ? await this.jsm.streams.info(this.stream, { deleted_details: true })
          : info;
      const { state } = listed;
      const deleted = deletions(state) === 0 ? new Set<number>() : state.deleted ? new Set(state.deleted) : undefined;
      return { created: listed.created, first: state.first_seq, last: state.last_seq, deleted };
    } catch (err) {
      if (isStreamNotFound(err)) return undefined;
      throw err;
    }
  }
}

/** Whether the stream still stores `seq`: between its first and last, and not among its listed deletions. */
function isStored(seq: number, stored: StoredSeqs): boolean {
  return seq >= stored.first && seq <= stored.last && !stored.deleted?.has(seq);
}
