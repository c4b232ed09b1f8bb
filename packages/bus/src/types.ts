import type { LoggerPort, TaskMessage } from "@pancode/core";
import type { ControlMessage } from "./control-message.js";

/** Message headers carried next to a task (e.g. `traceparent`). Carried as NATS headers by the JetStream adapter. */
export interface BusHeaders {
  [key: string]: string;
}

/**
 * One delivery of a task to a handler. The handler settles it exactly once: `ack` when the run's result is committed,
 * `nak` to have it redelivered, `term` to drop it. Settling twice is a no-op.
 */
export interface TaskDelivery {
  readonly task: TaskMessage;
  readonly headers: BusHeaders;
  /** 1 on first delivery, 2 on the first redelivery, and so on. */
  readonly deliveryCount: number;
  /** The message is done; it is removed from the queue. */
  ack(): Promise<void>;
  /** Redeliver the message, after `delayMs` if given (to any subscription of the pool). */
  nak(delayMs?: number): Promise<void>;
  /** Drop the message for good; it is never redelivered. */
  term(): Promise<void>;
  /** Still working: restarts the ack-wait timer so a long run is not redelivered. */
  working(): Promise<void>;
}

/** A running consumer (tasks or control messages). */
export interface TaskSubscription {
  /**
   * Stops pulling new messages and resolves once in-flight handlers have returned. Messages they left unsettled are
   * redelivered after the ack wait, as if the worker had disappeared.
   */
  stop(): Promise<void>;
}

/** Handles one task delivery. Throwing naks the message with a delay (see {@link BusOptions.retryDelayMs}). */
export type TaskHandler = (delivery: TaskDelivery) => Promise<void>;

/** Options of {@link TaskBus.consumeTasks}. */
export interface ConsumeTasksOptions {
  /** Most handlers of this subscription running at once; also the most messages it holds unacked. */
  maxInFlight: number;
}

/** Options of {@link TaskBus.publishTask}. */
export interface PublishTaskOptions {
  /** Dedupe id of the message (JetStream `Nats-Msg-Id`). @default task.runId */
  msgId?: string;
}

/** Outcome of {@link TaskBus.publishTask}. */
export interface PublishResult {
  /** Queue sequence of the message; pass it to {@link TaskBus.removeQueuedTask}. */
  seq: number;
  /** True when a message with the same runId was already published within the dedupe window. */
  duplicate: boolean;
}

/**
 * The task bus port: a work queue per pool plus a broadcast channel for control messages. Implemented by the NATS
 * JetStream adapter ({@link createJetStreamBus}) and the in-process adapter ({@link createInProcessBus}) with the
 * same semantics, which the shared contract suite checks.
 */
export interface TaskBus {
  readonly kind: "jetstream" | "in-process";
  /**
   * Queues a task on its pool. The message id is `options.msgId`, else `task.runId`, so a retried publish with the
   * same id within the dedupe window is not queued twice (`duplicate: true`, same `seq`). Payloads are validated by
   * consumers, not here.
   */
  publishTask(task: TaskMessage, headers?: BusHeaders, options?: PublishTaskOptions): Promise<PublishResult>;
  /**
   * Whether the queue still holds the message `seq` and it is the task of `runId` (a stream that was deleted and
   * recreated numbers its messages anew). False once it was acked, dropped after max deliveries, purged or lost with
   * the stream: whoever owns the run must publish it again.
   */
  hasQueuedTask(seq: number, runId: string): Promise<boolean>;
  /**
   * {@link hasQueuedTask} for many tasks at once, answered in order: what the publish reconciler asks of every
   * pending run on each pass. JetStream answers it from one stream info rather than one look-up per task.
   */
  hasQueuedTasks(tasks: readonly QueuedTaskRef[]): Promise<boolean[]>;
  /**
   * Highest sequence of `pool` delivered at least once (0: none). A message at or below it that is still queued is
   * waiting for a redelivery, or is stuck: JetStream keeps a message that ran out of deliveries until someone deletes
   * it, and nobody does when the owner missed the server's advisory.
   */
  deliveredUpTo(pool: string): Promise<number>;
  /** Deletes message `seq` if it is still queued and is the task of `runId`, delivered or not; false otherwise. */
  discardTask(seq: number, runId: string): Promise<boolean>;
  /**
   * Makes sure the task stream and the consumers of `pools` exist, creating what is missing (a stream deleted by an
   * operator or lost with the server's storage). Resolves true when the stream had to be created.
   */
  ensureTaskQueue(pools: readonly string[]): Promise<boolean>;
  /**
   * Removes a task that no worker has received yet (cancellation of a queued run). False when it is gone or was
   * already delivered; the caller then cancels the run through {@link TaskBus.publishControl}.
   */
  removeQueuedTask(seq: number): Promise<boolean>;
  /**
   * Starts pulling tasks of `pool`. At most `maxInFlight` handlers run at once; subscriptions of the same pool (in
   * this or other processes) share the work, each message going to exactly one of them at a time.
   */
  consumeTasks(pool: string, handler: TaskHandler, options: ConsumeTasksOptions): Promise<TaskSubscription>;
  /** Broadcasts a control message to every current control subscriber. */
  publishControl(message: ControlMessage): Promise<void>;
  /** Receives every control message published after this resolves. A throwing handler is logged and ignored. */
  subscribeControl(handler: (message: ControlMessage) => void): Promise<TaskSubscription>;
  /** Tasks of `pool` not delivered yet (redeliveries waiting are not counted). For metrics and tests. */
  queueDepth(pool: string): Promise<number>;
  /** Resolves when the bus answers (a round trip to the NATS server); throws UNAVAILABLE when it is closed. */
  ping(): Promise<void>;
  /**
   * Stops every subscription from pulling and releases the connection. It does not wait for running handlers (call
   * `stop()` on subscriptions first for a graceful drain); what they leave unacked is redelivered after the ack wait.
   */
  close(): Promise<void>;
}

/** Options shared by both adapters. */
export interface BusOptions {
  /** How long a delivery may go without ack or `working()` before it is redelivered. @default 30_000 */
  ackWaitMs?: number;
  /**
   * Deliveries after which a message is dropped (the coordinator's reaper then ends the run `error`). On the last
   * delivery a throwing handler terminates the message instead of naking it. @default 3
   */
  maxDeliver?: number;
  /** Delay before redelivering a message whose handler threw. @default 5_000 */
  retryDelayMs?: number;
  /** Receives warnings about malformed messages, dropped tasks and pull failures. @default silent */
  logger?: LoggerPort;
}

/** {@link BusOptions} with every default applied. */
export interface ResolvedBusOptions {
  ackWaitMs: number;
  maxDeliver: number;
  retryDelayMs: number;
  logger: LoggerPort;
}

/** A run's task message as its publisher recorded it: the stream sequence and the run. */
export interface QueuedTaskRef {
  seq: number;
  runId: string;
}
