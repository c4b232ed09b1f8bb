/**
 * @pancode/bus: the task bus between coordinator and workers. The coordinator publishes each admitted run as a tiny
 * {@link TaskMessage} on its pool; workers pull with a bounded number in flight, call `working()` while the run
 * lasts and `ack()` once its result is committed. A worker that disappears leaves its messages unacked, so they are
 * redelivered to another worker after the ack wait. Control messages (cancel run X) are broadcast to every worker.
 *
 * Two adapters implement {@link TaskBus} with the same semantics: NATS JetStream (whenever NATS_URL is set) and an
 * in-process bus (single machine, same process). This is the only package that imports `@nats-io/*`.
 *
 * ```ts
 * import { createInProcessBus, createJetStreamBus } from "@pancode/bus";
 *
 * const bus = natsUrl ? await createJetStreamBus({ url: natsUrl, logger }) : createInProcessBus({ logger });
 * const sub = await bus.consumeTasks("default", async (d) => {
 *   const beat = setInterval(() => void d.working(), 10_000);
 *   try {
 *     await runTask(d.task.runId, d.headers);
 *     await d.ack();
 *   } finally {
 *     clearInterval(beat);
 *   }
 * }, { maxInFlight: 2 });
 * await bus.publishTask({ v: 1, runId, pool: "default", enqueuedAt: new Date().toISOString() }, { traceparent });
 * ```
 */
export { ControlMessage } from "./control-message.js";
export { createInProcessBus } from "./in-process-bus.js";
export { createJetStreamBus, type JetStreamBusOptions } from "./jetstream-bus.js";
export { DEDUPE_WINDOW_MS, DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_DELIVER, DEFAULT_RETRY_DELAY_MS } from "./options.js";
export { openTaskStreamAdmin, type TaskStreamAdmin } from "./stream-admin.js";
export { DEFAULT_STREAM_NAME } from "./streams.js";
export { DEFAULT_SUBJECT_PREFIX, poolConsumerName } from "./subjects.js";
export type {
  BusHeaders,
  BusOptions,
  ConsumeTasksOptions,
  PublishResult,
  PublishTaskOptions,
  QueuedTaskRef,
  TaskBus,
  TaskDelivery,
  TaskHandler,
  TaskSubscription,
} from "./types.js";
