import { PanCodeError, type TaskMessage } from "@pancode/core";
import { encodeTask } from "./codec.js";
import { type ControlMessage, parseControlMessage } from "./control-message.js";
import { PoolQueue, type QueueConsumer, type QueueLease } from "./in-process-queue.js";
import { errorField } from "./logger.js";
import { assertMaxInFlight, DEDUPE_WINDOW_MS, resolveBusOptions } from "./options.js";
import { runDelivery } from "./run-delivery.js";
import { assertPoolName } from "./subjects.js";
import { parseOutgoingTask } from "./task-validation.js";
import { withTraceContext } from "./trace-context.js";
import type {
  BusHeaders,
  BusOptions,
  PublishResult,
  PublishTaskOptions,
  QueuedTaskRef,
  TaskBus,
  TaskHandler,
  TaskSubscription,
} from "./types.js";

/**
 * Creates the single-machine bus: the same semantics as the JetStream adapter (see {@link TaskBus}), held in memory
 * of this process. Tasks are stored encoded and decoded on delivery, so validation behaves as on the wire. All
 * timers are unref'd: the bus never keeps the process alive.
 *
 * @example
 * ```ts
 * const bus = createInProcessBus({ ackWaitMs: 30_000 });
 * await bus.consumeTasks("default", async (d) => { await runIt(d.task); await d.ack(); }, { maxInFlight: 2 });
 * await bus.publishTask({ v: 1, runId, pool: "default", enqueuedAt: new Date().toISOString() });
 * ```
 */
export function createInProcessBus(options?: BusOptions): TaskBus {
  const resolved = resolveBusOptions(options);
  const queues = new Map<string, PoolQueue>();
  const seqPool = new Map<number, string>();
  const recentRunIds = new Map<string, { seq: number; at: number }>();
  const controlHandlers = new Set<(message: ControlMessage) => void>();
  const subscriptions = new Set<{ detach(): void }>();
  let lastSeq = 0;
  let closed = false;

  const assertOpen = (what: string): void => {
    if (closed) throw new PanCodeError("UNAVAILABLE", `in-process bus is closed (${what})`);
  };
  const queueOf = (pool: string): PoolQueue => {
    let queue = queues.get(pool);
    if (queue === undefined) {
      queue = new PoolQueue({ pool, ...resolved });
      queues.set(pool, queue);
    }
    return queue;
  };
  const rememberRunId = (runId: string, seq: number): PublishResult => {
    const now = Date.now();
    for (const [id, seen] of recentRunIds) {
      // Map iteration is insertion order, so the first fresh entry ends the sweep.
      if (now - seen.at < DEDUPE_WINDOW_MS) break;
      recentRunIds.delete(id);
    }
    const seen = recentRunIds.get(runId);
    if (seen !== undefined) return { seq: seen.seq, duplicate: true };
    recentRunIds.set(runId, { seq, at: now });
    return { seq, duplicate: false };
  };

  return {
    kind: "in-process",

    async publishTask(
      input: TaskMessage,
      headers: BusHeaders = {},
      options: PublishTaskOptions = {},
    ): Promise<PublishResult> {
      const task = parseOutgoingTask(input);
      assertOpen(`publish run ${task.runId}`);
      const result = rememberRunId(options.msgId ?? task.runId, lastSeq + 1);
      if (result.duplicate) return result;
      lastSeq += 1;
      seqPool.set(lastSeq, task.pool);
      queueOf(task.pool).enqueue({ seq: lastSeq, payload: encodeTask(task), headers: withTraceContext(headers) });
      return { seq: lastSeq, duplicate: false };
    },

    async hasQueuedTask(seq: number, _runId: string): Promise<boolean> {
      assertOpen(`look up seq ${seq}`);
      // Sequences never restart in this process, so the sequence alone names the run's message.
      const pool = seqPool.get(seq);
      return pool !== undefined && queueOf(pool).has(seq);
    },

    async hasQueuedTasks(tasks: readonly QueuedTaskRef[]): Promise<boolean[]> {
      return Promise.all(tasks.map((t) => this.hasQueuedTask(t.seq, t.runId)));
    },

    async deliveredUpTo(pool: string): Promise<number> {
      assertOpen(`delivered of pool ${pool}`);
      return queues.get(pool)?.highestDelivered ?? 0;
    },

    async discardTask(seq: number, _runId: string): Promise<boolean> {
      assertOpen(`discard seq ${seq}`);
      const pool = seqPool.get(seq);
      if (pool === undefined || !queueOf(pool).discard(seq)) return false;
      seqPool.delete(seq);
      return true;
    },

    async ensureTaskQueue(_pools: readonly string[]): Promise<boolean> {
      // Queues live as long as the process: there is nothing to lose or recreate.
      assertOpen("ensure task queue");
      return false;
    },

    async removeQueuedTask(seq: number): Promise<boolean> {
      assertOpen(`remove seq ${seq}`);
      const pool = seqPool.get(seq);
      if (pool === undefined || !queueOf(pool).remove(seq)) return false;
      seqPool.delete(seq);
      return true;
    },

    async consumeTasks(pool, handler, { maxInFlight }): Promise<TaskSubscription> {
      assertOpen(`consume pool ${pool}`);
      assertPoolName(pool);
      assertMaxInFlight(pool, maxInFlight);
      const subscription = startConsumer(queueOf(pool), pool, handler, maxInFlight);
      subscriptions.add(subscription);
      return {
        stop: async () => {
          subscriptions.delete(subscription);
          await subscription.stop();
        },
      };
    },

    async publishControl(input: ControlMessage): Promise<void> {
      const message = parseControlMessage(input);
      assertOpen(`publish control for run ${message.runId}`);
      for (const handler of [...controlHandlers]) {
        // Delivered asynchronously and as a copy per subscriber, as over NATS; a handler may publish in turn.
        queueMicrotask(() => {
          if (!controlHandlers.has(handler)) return;
          try {
            handler({ ...message });
          } catch (err) {
            resolved.logger.error("control handler threw", { runId: message.runId, error: errorField(err) });
          }
        });
      }
    },

    async subscribeControl(handler: (message: ControlMessage) => void): Promise<TaskSubscription> {
      assertOpen("subscribe control");
      // Wrap so the same function subscribed twice counts as two subscribers.
      const entry = (message: ControlMessage): void => handler(message);
      controlHandlers.add(entry);
      return { stop: async () => void controlHandlers.delete(entry) };
    },

    async queueDepth(pool: string): Promise<number> {
      assertPoolName(pool);
      return queues.get(pool)?.pendingCount() ?? 0;
    },

    async ping(): Promise<void> {
      assertOpen("ping");
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const subscription of subscriptions) subscription.detach();
      subscriptions.clear();
      controlHandlers.clear();
      for (const queue of queues.values()) queue.dispose();
    },
  };

  function startConsumer(queue: PoolQueue, pool: string, handler: TaskHandler, maxInFlight: number) {
    const running = new Set<Promise<void>>();
    const settle = (what: string, op: () => void): Promise<void> => {
      // After close the message is abandoned to the ack wait, like a NATS client whose connection is gone.
      if (closed) return Promise.reject(new PanCodeError("UNAVAILABLE", `in-process bus is closed (${what})`));
      op();
      return Promise.resolve();
    };
    const consumer: QueueConsumer = {
      maxInFlight,
      running: 0,
      deliver(lease: QueueLease) {
        const { seq, attempt } = lease;
        const raw = {
          ...lease,
          ack: () => settle(`ack seq ${seq}`, () => queue.ack(seq, attempt)),
          nak: (delayMs = 0) => settle(`nak seq ${seq}`, () => queue.nak(seq, attempt, delayMs)),
          term: () => settle(`term seq ${seq}`, () => queue.term(seq, attempt)),
          working: () => settle(`working seq ${seq}`, () => queue.working(seq, attempt)),
        };
        const done = runDelivery(raw, handler, { pool, options: resolved }).finally(() => {
          running.delete(done);
          queue.release(consumer);
        });
        running.add(done);
      },
    };
    queue.addConsumer(consumer);
    return {
      detach: () => queue.removeConsumer(consumer),
      stop: async () => {
        queue.removeConsumer(consumer);
        await Promise.allSettled([...running]);
      },
    };
  }
}
