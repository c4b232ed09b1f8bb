import { type Consumer, type JetStreamClient, type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isPanCodeError, PanCodeError, type TaskMessage } from "@pancode/core";
import { decodeTask, encodeTask } from "./codec.js";
import type { ControlMessage } from "./control-message.js";
import { publishNatsControl, subscribeNatsControl } from "./jetstream-control.js";
import { startDeadLetterSweeper } from "./jetstream-dead-letter.js";
import { QueuedTaskLookup } from "./jetstream-queued.js";
import { type PullSubscription, startPullSubscription } from "./jetstream-subscription.js";
import { connectNats, isConsumerNotFound, isNoMessage, isStreamNotFound, safeUrl } from "./nats-connection.js";
import { toNatsHeaders } from "./nats-headers.js";
import { assertMaxInFlight, resolveBusOptions } from "./options.js";
import {
  DEFAULT_STREAM_NAME,
  ensurePoolConsumer,
  ensureTaskStream,
  poolConsumerSpec,
  taskStreamSpec,
} from "./streams.js";
import {
  assertPoolName,
  assertSubjectPrefix,
  controlSubject,
  DEFAULT_SUBJECT_PREFIX,
  poolConsumerName,
  poolFromTaskSubject,
  taskSubject,
} from "./subjects.js";
import { parseOutgoingTask } from "./task-validation.js";
import { withTraceContext } from "./trace-context.js";
import type {
  BusHeaders,
  BusOptions,
  ConsumeTasksOptions,
  PublishResult,
  PublishTaskOptions,
  QueuedTaskRef,
  ResolvedBusOptions,
  TaskBus,
  TaskHandler,
  TaskSubscription,
} from "./types.js";

/** Options of {@link createJetStreamBus}. */
export interface JetStreamBusOptions extends BusOptions {
  /** NATS server URL, e.g. `nats://127.0.0.1:4222` (the NATS_URL of the deployment). */
  url: string;
  /** Task stream name. @default "PANCODE_TASKS" */
  streamName?: string;
  /**
   * First subject token(s): tasks on `<prefix>.tasks.<pool>`, control on `<prefix>.control`. Two streams may not
   * capture the same subjects, so a second stream on one server (tests, a second cluster) needs its own prefix.
   * @default "pancode"
   */
  subjectPrefix?: string;
  /** Token for NATS token auth. */
  token?: string;
  /** NATS user and password (NATS_USER / NATS_PASSWORD). */
  user?: string;
  pass?: string;
  /**
   * Whether this process owns the task stream: creates and reconciles it and drops tasks that ran out of deliveries.
   * Workers pass false: their NATS user may consume tasks but not manage streams. @default true
   */
  manageStream?: boolean;
  /**
   * Copies of the task stream on a NATS cluster (PANCODE_JETSTREAM_REPLICAS: 3 for a 3-node cluster); an existing
   * stream is scaled to it when this process manages the stream. @default 1
   */
  replicas?: number;
  /** Connection name shown in NATS monitoring. @default "pancode-bus" */
  connectionName?: string;
}

/**
 * Connects to NATS and returns the JetStream task bus. Ensures the task stream exists with the right config (safe
 * when several processes start at once). Fails with UNAVAILABLE (retryable) when NATS or JetStream is unreachable.
 *
 * @example
 * ```ts
 * const bus = await createJetStreamBus({ url: config.nats.url, ackWaitMs: 30_000, logger });
 * ```
 */
export async function createJetStreamBus(options: JetStreamBusOptions): Promise<TaskBus> {
  const resolved = resolveBusOptions(options);
  const stream = options.streamName ?? DEFAULT_STREAM_NAME;
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const manageStream = options.manageStream ?? true;
  const replicas = options.replicas ?? 1;
  assertSubjectPrefix(prefix);
  const nc = await connectNats({ ...options, connectionName: options.connectionName ?? "pancode-bus" });
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
    if (manageStream) await ensureTaskStream(jsm, taskStreamSpec(stream, prefix, replicas));
    else await requireTaskStream(jsm, stream);
  } catch (err) {
    await nc.close();
    if (isPanCodeError(err)) throw err;
    throw new PanCodeError("UNAVAILABLE", `JetStream is not usable at ${safeUrl(options.url)} (stream ${stream})`, {
      cause: err,
      retryable: true,
    });
  }
  const bus = new JetStreamBus(nc, jsm, { stream, prefix, replicas, options: resolved });
  // The stream's owner drops tasks that ran out of deliveries (deleting stream messages is stream management).
  if (manageStream) bus.sweepDeadLetters();
  return bus;
}

/** A consumer-only process (a worker) needs the stream its owner made; it must not create one itself. */
async function requireTaskStream(jsm: JetStreamManager, stream: string): Promise<void> {
  try {
    await jsm.streams.info(stream);
  } catch (err) {
    throw new PanCodeError("UNAVAILABLE", `JetStream stream ${stream} is not there yet: start the coordinator first`, {
      cause: err,
      retryable: true,
    });
  }
}

interface BusConfig {
  stream: string;
  prefix: string;
  replicas: number;
  options: ResolvedBusOptions;
}

class JetStreamBus implements TaskBus {
  readonly kind = "jetstream" as const;
  private readonly js: JetStreamClient;
  private readonly pulls = new Set<PullSubscription>();
  private sweeper: Subscription | undefined;
  private closed = false;
  /** False between a disconnect and the reconnect: a publish then fails at once instead of at its timeout. */
  private linkUp = true;
  private readonly queued: QueuedTaskLookup;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly config: BusConfig,
  ) {
    this.js = jsm.jetstream();
    this.queued = new QueuedTaskLookup(jsm, config.stream, (seq, runId) => this.hasQueuedTask(seq, runId));
    void this.followLink();
  }

  private async followLink(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect") this.linkUp = false;
      else if (status.type === "reconnect") this.linkUp = true;
    }
  }

  async publishTask(
    input: TaskMessage,
    headers?: BusHeaders,
    options: PublishTaskOptions = {},
  ): Promise<PublishResult> {
    const task = parseOutgoingTask(input);
    const { stream, prefix } = this.config;
    const natsHeaders = toNatsHeaders(withTraceContext(headers));
    if (!this.linkUp) {
      throw new PanCodeError("UNAVAILABLE", `cannot publish task for run ${task.runId}: NATS is unreachable`, {
        retryable: true,
      });
    }
    try {
      const ack = await this.js.publish(taskSubject(prefix, task.pool), encodeTask(task), {
        msgID: options.msgId ?? task.runId,
        expect: { streamName: stream },
        ...(natsHeaders === undefined ? {} : { headers: natsHeaders }),
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      throw new PanCodeError("UNAVAILABLE", `cannot publish task for run ${task.runId} to stream ${stream}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async hasQueuedTask(seq: number, runId: string): Promise<boolean> {
    const { stream } = this.config;
    try {
      const stored = await this.jsm.streams.getMessage(stream, { seq });
      if (stored === null) return false;
      // A recreated stream numbers from 1 again: the sequence may now hold another run's task.
      const decoded = decodeTask(stored.data);
      return decoded.ok && decoded.value.runId === runId;
    } catch (err) {
      if (isNoMessage(err) || isStreamNotFound(err)) return false;
      throw new PanCodeError("UNAVAILABLE", `cannot look up task seq ${seq} in stream ${stream}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async hasQueuedTasks(tasks: readonly QueuedTaskRef[]): Promise<boolean[]> {
    try {
      return await this.queued.hasQueuedTasks(tasks);
    } catch (err) {
      if (isPanCodeError(err)) throw err;
      throw new PanCodeError("UNAVAILABLE", `cannot look up ${tasks.length} tasks in stream ${this.config.stream}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async deliveredUpTo(pool: string): Promise<number> {
    assertPoolName(pool);
    try {
      return await this.deliveredUpToOrZero(pool);
    } catch (err) {
      if (isStreamNotFound(err)) return 0;
      throw new PanCodeError("UNAVAILABLE", `cannot read the delivery state of pool ${pool}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async discardTask(seq: number, runId: string): Promise<boolean> {
    if (!(await this.hasQueuedTask(seq, runId))) return false;
    const { stream } = this.config;
    try {
      return await this.jsm.streams.deleteMessage(stream, seq, false);
    } catch (err) {
      // Acked or deleted by someone else in between: it is gone either way.
      if (isNoMessage(err)) return false;
      throw new PanCodeError("UNAVAILABLE", `cannot delete task seq ${seq} from stream ${stream}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async ensureTaskQueue(pools: readonly string[]): Promise<boolean> {
    const { stream, prefix, replicas, options } = this.config;
    try {
      try {
        await this.jsm.streams.info(stream);
        return false;
      } catch (err) {
        if (!isStreamNotFound(err)) throw err;
      }
      await ensureTaskStream(this.jsm, taskStreamSpec(stream, prefix, replicas));
      // Deleting a stream deletes its consumers; workers keep pulling from theirs by name and resume once it is back.
      for (const pool of pools)
        await ensurePoolConsumer(this.jsm, stream, poolConsumerSpec(prefix, pool, options), false);
      options.logger.warn("task stream was missing and has been recreated", { stream, pools: [...pools] });
      return true;
    } catch (err) {
      if (isPanCodeError(err)) throw err;
      throw new PanCodeError("UNAVAILABLE", `cannot check JetStream stream ${stream}`, { cause: err, retryable: true });
    }
  }

  async removeQueuedTask(seq: number): Promise<boolean> {
    const { stream, prefix } = this.config;
    try {
      const stored = await this.jsm.streams.getMessage(stream, { seq });
      if (stored === null) return false;
      const pool = poolFromTaskSubject(prefix, stored.subject);
      // Delivered at least once (in flight, or waiting for redelivery): not "queued" any more. A worker may still
      // pull it between this check and the delete; the coordinator's claim of the run settles that race.
      if (pool !== undefined && (await this.deliveredUpToOrZero(pool)) >= seq) return false;
      return await this.jsm.streams.deleteMessage(stream, seq, false);
    } catch (err) {
      // Deleted between the lookup and the delete (acked, or removed by someone else): it is gone either way.
      if (isNoMessage(err)) return false;
      throw new PanCodeError("UNAVAILABLE", `cannot remove task seq ${seq} from stream ${stream}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  async consumeTasks(
    pool: string,
    handler: TaskHandler,
    { maxInFlight }: ConsumeTasksOptions,
  ): Promise<TaskSubscription> {
    assertPoolName(pool);
    assertMaxInFlight(pool, maxInFlight);
    const { stream, prefix, options } = this.config;
    if (this.closed) throw new PanCodeError("UNAVAILABLE", `JetStream bus is closed (consume pool ${pool})`);
    let consumer: Consumer;
    try {
      await ensurePoolConsumer(this.jsm, stream, poolConsumerSpec(prefix, pool, options), true);
      consumer = await this.js.consumers.get(stream, poolConsumerName(pool));
    } catch (err) {
      if (isPanCodeError(err)) throw err;
      throw new PanCodeError("UNAVAILABLE", `cannot open consumer for pool ${pool} on stream ${stream}`, {
        cause: err,
        retryable: true,
      });
    }
    const pull = startPullSubscription({ nc: this.nc, consumer, pool, maxInFlight, handler, options });
    this.pulls.add(pull);
    return {
      stop: async () => {
        this.pulls.delete(pull);
        await pull.stop();
      },
    };
  }

  /** Starts deleting tasks that ran out of deliveries (once). */
  sweepDeadLetters(): void {
    this.sweeper ??= startDeadLetterSweeper(this.nc, this.jsm, this.config.stream, this.config.options);
  }

  async publishControl(message: ControlMessage): Promise<void> {
    await publishNatsControl(this.nc, controlSubject(this.config.prefix), message);
  }

  async subscribeControl(handler: (message: ControlMessage) => void): Promise<TaskSubscription> {
    if (this.closed) throw new PanCodeError("UNAVAILABLE", "JetStream bus is closed (subscribe control)");
    return subscribeNatsControl(this.nc, controlSubject(this.config.prefix), handler, this.config.options.logger);
  }

  async queueDepth(pool: string): Promise<number> {
    assertPoolName(pool);
    const { stream, prefix } = this.config;
    try {
      const info = await this.jsm.consumers.info(stream, poolConsumerName(pool));
      return info.num_pending;
    } catch (consumerErr) {
      if (!isConsumerNotFound(consumerErr)) {
        throw new PanCodeError("UNAVAILABLE", `cannot read queue depth of pool ${pool}`, {
          cause: consumerErr,
          retryable: true,
        });
      }
      // No worker has consumed this pool yet: every stored message on its subject is undelivered.
      const subject = taskSubject(prefix, pool);
      const info = await this.jsm.streams.info(stream, { subjects_filter: subject });
      return info.state.subjects?.[subject] ?? 0;
    }
  }

  async ping(): Promise<void> {
    if (this.closed || this.nc.isClosed()) throw new PanCodeError("UNAVAILABLE", "JetStream bus is closed");
    // A PING/PONG with the server: while it is unreachable the client is reconnecting and this does not resolve.
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pull of this.pulls) pull.halt();
    this.pulls.clear();
    try {
      await this.nc.drain();
    } catch (_err) {
      // Already closed or the server is gone: nothing is left to flush.
      await this.nc.close();
    }
  }

  /** Highest stream sequence the pool's consumer has delivered; 0 when the consumer does not exist yet. */
  private async deliveredUpToOrZero(pool: string): Promise<number> {
    try {
      const info = await this.jsm.consumers.info(this.config.stream, poolConsumerName(pool));
      return info.delivered.stream_seq;
    } catch (err) {
      if (isConsumerNotFound(err)) return 0;
      throw err;
    }
  }
}
