import type { LoggerPort } from "@pancode/core";
import type { BusHeaders } from "./types.js";

/** One queued message as the in-process queue stores it (payload kept encoded, as on the wire). */
export interface QueuedMessage {
  seq: number;
  payload: Uint8Array;
  headers: BusHeaders;
}

/** What a consumer receives: the message plus the attempt token its settle calls must present. */
export interface QueueLease extends QueuedMessage {
  deliveryCount: number;
  attempt: number;
}

/** A subscription registered with a {@link PoolQueue}. The queue counts `running` up; the owner counts it down. */
export interface QueueConsumer {
  readonly maxInFlight: number;
  running: number;
  deliver(lease: QueueLease): void;
}

/** Timing rules of a queue, mirroring the JetStream consumer config. */
export interface PoolQueueOptions {
  pool: string;
  ackWaitMs: number;
  maxDeliver: number;
  logger: LoggerPort;
}

type EntryState = "ready" | "in-flight" | "delayed";

interface Entry extends QueuedMessage {
  state: EntryState;
  deliveryCount: number;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The in-memory work queue of one pool, with JetStream work-queue semantics: FIFO by sequence (redeliveries go
 * first because their sequence is older), an ack-wait timer per delivery, delayed nak, term, a drop after
 * `maxDeliver` deliveries, and round-robin among consumers that have a free slot. Settle calls carry the attempt
 * token of their delivery, so a late ack from a delivery that already timed out changes nothing.
 */
export class PoolQueue {
  private readonly entries = new Map<number, Entry>();
  private readonly ready: Entry[] = [];
  private readonly consumers: QueueConsumer[] = [];
  private nextConsumer = 0;
  private dispatchScheduled = false;
  private disposed = false;

  constructor(private readonly options: PoolQueueOptions) {}

  /** Adds a message at the tail and wakes consumers. */
  enqueue(message: QueuedMessage): void {
    const entry: Entry = { ...message, state: "ready", deliveryCount: 0, attempt: 0, timer: undefined };
    this.entries.set(entry.seq, entry);
    this.makeReady(entry);
  }

  /** Highest sequence delivered at least once; 0 before the first delivery. */
  highestDelivered = 0;

  /** Deletes a message whatever its state; a handler holding it settles nothing any more. */
  discard(seq: number): boolean {
    const entry = this.entries.get(seq);
    if (entry === undefined) return false;
    clearTimeout(entry.timer);
    const index = this.ready.indexOf(entry);
    if (index >= 0) this.ready.splice(index, 1);
    this.entries.delete(seq);
    return true;
  }

  /** Whether the message is still queued (waiting, in flight or waiting for redelivery). */
  has(seq: number): boolean {
    return this.entries.has(seq);
  }

  /** Removes a message that was never delivered. False when it is gone, in flight, or waiting for redelivery. */
  remove(seq: number): boolean {
    const entry = this.entries.get(seq);
    if (entry === undefined || entry.state !== "ready" || entry.deliveryCount > 0) return false;
    this.ready.splice(this.ready.indexOf(entry), 1);
    this.entries.delete(seq);
    return true;
  }

  /** Messages never delivered yet. */
  pendingCount(): number {
    return this.ready.filter((e) => e.deliveryCount === 0).length;
  }

  addConsumer(consumer: QueueConsumer): void {
    this.consumers.push(consumer);
    this.scheduleDispatch();
  }

  /** Stops routing messages to `consumer`; what it holds stays in flight until settled or timed out. */
  removeConsumer(consumer: QueueConsumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
  }

  /** A consumer finished a handler and has a free slot again. */
  release(consumer: QueueConsumer): void {
    consumer.running -= 1;
    this.scheduleDispatch();
  }

  ack(seq: number, attempt: number): void {
    const entry = this.current(seq, attempt);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.entries.delete(seq);
  }

  term(seq: number, attempt: number): void {
    this.ack(seq, attempt);
  }

  working(seq: number, attempt: number): void {
    const entry = this.current(seq, attempt);
    if (entry !== undefined) this.armAckTimer(entry);
  }

  nak(seq: number, attempt: number, delayMs: number): void {
    const entry = this.current(seq, attempt);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    if (this.dropIfExhausted(entry)) return;
    if (delayMs <= 0) {
      this.makeReady(entry);
      return;
    }
    entry.state = "delayed";
    entry.timer = setTimeout(() => this.makeReady(entry), delayMs).unref();
  }

  /** Clears every timer; the queue delivers nothing afterwards. */
  dispose(): void {
    this.disposed = true;
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.consumers.length = 0;
  }

  private current(seq: number, attempt: number): Entry | undefined {
    const entry = this.entries.get(seq);
    return entry?.state === "in-flight" && entry.attempt === attempt ? entry : undefined;
  }

  private makeReady(entry: Entry): void {
    entry.state = "ready";
    entry.timer = undefined;
    // Keep `ready` sorted by sequence so a redelivery goes ahead of newer messages, as JetStream does.
    let index = this.ready.length;
    while (index > 0 && (this.ready[index - 1]?.seq ?? 0) > entry.seq) index -= 1;
    this.ready.splice(index, 0, entry);
    this.scheduleDispatch();
  }

  private armAckTimer(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.onAckTimeout(entry), this.options.ackWaitMs).unref();
  }

  private onAckTimeout(entry: Entry): void {
    if (entry.state !== "in-flight" || this.dropIfExhausted(entry)) return;
    this.makeReady(entry);
  }

  private dropIfExhausted(entry: Entry): boolean {
    if (entry.deliveryCount < this.options.maxDeliver) return false;
    this.entries.delete(entry.seq);
    this.options.logger.warn("task dropped after max deliveries", {
      pool: this.options.pool,
      seq: entry.seq,
      deliveries: entry.deliveryCount,
    });
    return true;
  }

  // Dispatch runs on a microtask so publish and settle calls never re-enter a handler synchronously.
  private scheduleDispatch(): void {
    if (this.dispatchScheduled || this.disposed) return;
    this.dispatchScheduled = true;
    queueMicrotask(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (!this.disposed && this.ready.length > 0) {
      const consumer = this.pickConsumer();
      const entry = consumer === undefined ? undefined : this.ready.shift();
      if (consumer === undefined || entry === undefined) return;
      entry.state = "in-flight";
      entry.deliveryCount += 1;
      entry.attempt += 1;
      this.highestDelivered = Math.max(this.highestDelivered, entry.seq);
      this.armAckTimer(entry);
      consumer.running += 1;
      const { seq, payload, headers, deliveryCount, attempt } = entry;
      consumer.deliver({ seq, payload, headers: { ...headers }, deliveryCount, attempt });
    }
  }

  private pickConsumer(): QueueConsumer | undefined {
    for (let i = 0; i < this.consumers.length; i += 1) {
      const index = (this.nextConsumer + i) % this.consumers.length;
      const consumer = this.consumers[index];
      if (consumer !== undefined && consumer.running < consumer.maxInFlight) {
        this.nextConsumer = index + 1;
        return consumer;
      }
    }
    return undefined;
  }
}
