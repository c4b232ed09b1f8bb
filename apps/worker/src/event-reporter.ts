import { type AgentEvent, addUsage, type RunSafetyAction, type Usage, ZERO_USAGE } from "@pancode/core";
import { MAX_MESSAGE_BYTES, type WorkerApi } from "@pancode/proto";
import type { Logger } from "@pancode/telemetry";

/** Bytes of combined output kept as the run's tail (shown by `pancode show`, recorded in the receipt hash). */
export const OUTPUT_TAIL_BYTES = 4096;

/**
 * Bytes of event text sent in one ReportEvents call: well under the 4 MiB gRPC message limit, leaving room for the
 * per-event framing and the lease (a batch over the limit would be refused, every time).
 */
export const MAX_BATCH_BYTES = MAX_MESSAGE_BYTES - 512 * 1024;
/** Largest text of one event; longer text is cut, keeping its start, and says how much was cut. */
export const MAX_EVENT_BYTES = 256 * 1024;
/**
 * Bytes of events held while the coordinator does not take them (down, slow): beyond this the oldest output chunks
 * are dropped, counted, and reported as one note once the coordinator answers again. Usage reports are never dropped:
 * they are small, and the coordinator checks the run's receipt against their totals.
 */
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
/** Per-event bytes counted besides its text (timestamp, kind, protobuf framing). */
const EVENT_OVERHEAD_BYTES = 64;
/** Attempts of the final flush when the run ends, so the coordinator holds every usage report before completion. */
const CLOSE_ATTEMPTS = 5;

interface PendingEvent {
  at: string;
  kind: string;
  text: string;
  /** Counted bytes: text plus overhead. */
  bytes: number;
  /** Never dropped (usage reports). */
  keep: boolean;
}

/** `text` cut to at most `max` UTF-8 bytes (never inside a character), with a marker saying how much was cut. */
export function truncateText(text: string, max: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return text;
  const marker = `\n[pancode: event truncated, ${bytes - max} of ${bytes} bytes cut]`;
  const kept = Buffer.from(text).subarray(0, max - Buffer.byteLength(marker));
  // A cut inside a multi-byte character decodes to U+FFFD at the end; drop it.
  return `${kept.toString("utf8").replace(/\uFFFD+$/, "")}${marker}`;
}

function droppedNote(dropped: { events: number; bytes: number }): { at: string; kind: string; text: string } {
  return {
    at: new Date().toISOString(),
    kind: "log",
    text: `[pancode: ${dropped.events} output event(s), ${dropped.bytes} bytes, were dropped: the coordinator did not take them in time]`,
  };
}

/**
 * Buffers a run's output, agent events and notes, and sends them to the coordinator every `flushMs`, in batches
 * under the gRPC message limit. Memory is bounded: a single huge event is truncated, and while the coordinator does
 * not take events the oldest output is dropped (and counted) rather than held without end.
 * When the coordinator answers that the attempt is stale, `onStale` fires once so the run can be stopped.
 */
export class EventReporter {
  private pending: PendingEvent[] = [];
  private pendingBytes = 0;
  /** Dropped and not yet reported to the coordinator. */
  private dropped = { events: 0, bytes: 0 };
  private droppedTotal = 0;
  /** Sum of the usage reports handed over: what the coordinator folds from them, too. */
  private usageTotal: Usage = ZERO_USAGE;
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private staleSeen = false;

  constructor(
    private readonly deps: {
      api: Pick<WorkerApi, "reportEvents">;
      lease: { runId: string; attempt: number; leaseToken: string };
      flushMs: number;
      logger: Logger;
      onStale: () => void;
      /** Bounds, for tests. */
      limits?: { batchBytes?: number; eventBytes?: number; pendingBytes?: number; closeRetryMs?: number };
    },
  ) {
    this.timer = setInterval(() => void this.flush(), deps.flushMs);
    this.timer.unref();
  }

  output(stream: "stdout" | "stderr", text: string): void {
    this.push(stream, text, false);
  }

  /** One normalised agent event, as JSON in an `agent` event. */
  agent(event: AgentEvent): void {
    if (event.type === "usage") this.usageTotal = addUsage(this.usageTotal, event.usage);
    // Metered usage is never dropped: the run's cost and its receipt's model-call digest are folded from it.
    this.push("agent", JSON.stringify(event), event.type === "usage" || event.type === "model_call");
  }

  /**
   * Usage reported so far. A run that fails after its agent spent (a patch upload refused, say) completes with this,
   * so its completion and receipt agree with the usage the coordinator recorded from these events.
   */
  reportedUsage(): Usage {
    return this.usageTotal;
  }

  note(text: string): void {
    this.push("log", text, false);
  }

  /**
   * A safety finding of the run (what its model proxy refused, a usage report that differs from the metered one):
   * on the run's record like a note, and audited by the coordinator (`safety/<action>`). Never dropped.
   */
  safety(action: RunSafetyAction, message: string): void {
    this.push("safety", `${action}: ${message}`, true);
  }

  /** Events dropped so far because the coordinator did not take them in time (for logs and tests). */
  droppedEvents(): number {
    return this.droppedTotal;
  }

  private push(kind: string, raw: string, keep: boolean): void {
    const text = truncateText(raw, this.deps.limits?.eventBytes ?? MAX_EVENT_BYTES);
    const bytes = Buffer.byteLength(text) + EVENT_OVERHEAD_BYTES;
    this.pending.push({ at: new Date().toISOString(), kind, text, bytes, keep });
    this.pendingBytes += bytes;
    this.dropOldestOverBound();
  }

  /** Drops the oldest droppable events until the buffer fits its bound again. */
  private dropOldestOverBound(): void {
    const bound = this.deps.limits?.pendingBytes ?? MAX_PENDING_BYTES;
    if (this.pendingBytes <= bound) return;
    const kept: PendingEvent[] = [];
    for (const event of this.pending) {
      if (this.pendingBytes > bound && !event.keep) {
        this.pendingBytes -= event.bytes;
        this.dropped.events += 1;
        this.dropped.bytes += event.bytes - EVENT_OVERHEAD_BYTES;
        this.droppedTotal += 1;
      } else {
        kept.push(event);
      }
    }
    this.pending = kept;
  }

  /** The next batch to send: whole events up to the batch bound (at least one when any is pending). */
  private takeBatch(): PendingEvent[] {
    const bound = this.deps.limits?.batchBytes ?? MAX_BATCH_BYTES;
    let bytes = 0;
    let count = 0;
    for (const event of this.pending) {
      if (count > 0 && bytes + event.bytes > bound) break;
      bytes += event.bytes;
      count += 1;
    }
    const batch = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    this.pendingBytes -= bytes;
    return batch;
  }

  /** Sends what is buffered, batch after batch; calls are serialised so events keep their order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.pending.length > 0 || this.dropped.events > 0) {
        const noted = { ...this.dropped };
        const batch = this.takeBatch();
        const events = batch.map(({ at, kind, text }) => ({ at, kind, text }));
        // Where output went missing, the log says so: one note, ahead of what came after the gap.
        if (noted.events > 0) events.unshift(droppedNote(noted));
        try {
          const stale = await this.deps.api.reportEvents(this.deps.lease, events);
          this.dropped = { events: this.dropped.events - noted.events, bytes: this.dropped.bytes - noted.bytes };
          if (stale && !this.staleSeen) {
            this.staleSeen = true;
            this.deps.onStale();
          }
        } catch (err) {
          // Keep the events for the next flush: a coordinator blip must not lose output (the bound above still holds).
          this.pending = batch.concat(this.pending);
          this.pendingBytes += batch.reduce((sum, e) => sum + e.bytes, 0);
          this.dropOldestOverBound();
          this.deps.logger.warn("event report failed", { runId: this.deps.lease.runId, error: err as Error });
          return;
        }
      }
    });
    return this.flushing;
  }

  /** What the coordinator has not taken yet, left buffered (the outbox keeps a copy while the final flush runs). */
  peekPending(): { at: string; kind: string; text: string }[] {
    const events = this.pending.map(({ at, kind, text }) => ({ at, kind, text }));
    if (this.dropped.events > 0) events.unshift(droppedNote(this.dropped));
    return events;
  }

  /**
   * Hands over what the coordinator has not taken yet (after {@link close}), for the run's outbox entry: the outbox
   * sender delivers it before the completion, however long the coordinator is away.
   */
  takePending(): { at: string; kind: string; text: string }[] {
    const events = this.peekPending();
    this.pending = [];
    this.pendingBytes = 0;
    this.dropped = { events: 0, bytes: 0 };
    return events;
  }

  /**
   * Stops the timer and delivers what is left, retrying a few times: the coordinator checks the run's receipt
   * against the usage these events report, so a blip at the very end must not lose them.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const retryMs = this.deps.limits?.closeRetryMs ?? 250;
    for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
      await this.flush();
      if (this.pending.length === 0 || this.staleSeen) return;
      await new Promise((resolve) => setTimeout(resolve, retryMs * attempt));
    }
  }
}
