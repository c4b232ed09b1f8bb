import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import { PanCodeError } from "@pancode/core";
import { DEDUPE_WINDOW_MS } from "./options.js";
import { poolConsumerName, taskSubject, taskSubjectWildcard } from "./subjects.js";

/** Default name of the task stream. */
export const DEFAULT_STREAM_NAME = "PANCODE_TASKS";

// Far above any real worker fleet's slots; it only exists so a runaway client cannot pin the whole queue.
const MAX_ACK_PENDING = 10_000;
// Each free worker slot holds one pull request open; the server default (512) is too low for a large fleet.
const MAX_WAITING_PULLS = 4096;

/**
 * The task stream: file storage, work-queue retention (a message lives until acked or terminated), `replicas`
 * copies on a NATS cluster (PANCODE_JETSTREAM_REPLICAS; pool consumers inherit the stream's count).
 */
export function taskStreamSpec(name: string, subjectPrefix: string, replicas = 1): StreamConfig {
  return {
    name,
    subjects: [taskSubjectWildcard(subjectPrefix)],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DEDUPE_WINDOW_MS),
    num_replicas: replicas,
  } as StreamConfig;
}

/** Timing of a pool consumer; these are the fields {@link ensurePoolConsumer} keeps up to date. */
export interface PoolConsumerTiming {
  ackWaitMs: number;
  maxDeliver: number;
}

/** The durable pull consumer all workers of `pool` share. */
export function poolConsumerSpec(subjectPrefix: string, pool: string, timing: PoolConsumerTiming): ConsumerConfig {
  return {
    durable_name: poolConsumerName(pool),
    filter_subject: taskSubject(subjectPrefix, pool),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(timing.ackWaitMs),
    max_deliver: timing.maxDeliver,
    max_ack_pending: MAX_ACK_PENDING,
    max_waiting: MAX_WAITING_PULLS,
  } as ConsumerConfig;
}

/**
 * Creates the task stream, or brings an existing one to the spec; safe when several processes start at once (the
 * server accepts an identical create, and a differing one is reconciled by update). Retention and storage cannot
 * change on a live stream, so a mismatch there is CONFIG_INVALID.
 */
export async function ensureTaskStream(jsm: JetStreamManager, spec: StreamConfig): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(spec);
  } catch (addErr) {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(spec.name);
    } catch (_infoErr) {
      // The stream is not there either: the create failure is the real problem.
      throw new PanCodeError("UNAVAILABLE", `cannot create JetStream stream ${spec.name}`, {
        cause: addErr,
        retryable: true,
      });
    }
    const { config } = info;
    if (config.retention !== spec.retention || config.storage !== spec.storage) {
      throw new PanCodeError(
        "CONFIG_INVALID",
        `JetStream stream ${spec.name} exists with retention ${config.retention}/${config.storage}, ` +
          `expected ${spec.retention}/${spec.storage}; delete it or pick another stream name`,
        { cause: addErr },
      );
    }
    const sameSubjects = JSON.stringify([...config.subjects].sort()) === JSON.stringify([...spec.subjects].sort());
    const sameReplicas = config.num_replicas === spec.num_replicas;
    if (sameSubjects && sameReplicas && config.duplicate_window === spec.duplicate_window) return info;
    // Replicas too: a stream made for one server is scaled to the cluster's count (and back) at the owner's start.
    return await jsm.streams.update(spec.name, {
      ...config,
      subjects: spec.subjects,
      duplicate_window: spec.duplicate_window,
      num_replicas: spec.num_replicas,
    });
  }
}

/**
 * Creates the pool consumer if missing. With `reconcile`, an existing consumer whose ack wait or max deliver differ is
 * updated to `spec` (workers own the timing; publishers only make sure the consumer exists so depth can be read).
 */
export async function ensurePoolConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: ConsumerConfig,
  reconcile: boolean,
): Promise<ConsumerInfo> {
  const name = spec.durable_name ?? "";
  try {
    return await jsm.consumers.add(stream, spec);
  } catch (addErr) {
    let info: ConsumerInfo;
    try {
      info = await jsm.consumers.info(stream, name);
    } catch (_infoErr) {
      // Not there either: the create failure is the real problem.
      throw new PanCodeError("UNAVAILABLE", `cannot create JetStream consumer ${name} on ${stream}`, {
        cause: addErr,
        retryable: true,
      });
    }
    const { config } = info;
    if (!reconcile || (config.ack_wait === spec.ack_wait && config.max_deliver === spec.max_deliver)) return info;
    return await jsm.consumers.update(stream, name, {
      ack_wait: spec.ack_wait,
      max_deliver: spec.max_deliver,
      max_ack_pending: spec.max_ack_pending,
    });
  }
}
