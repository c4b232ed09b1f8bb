import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { PanCodeError } from "@pancode/core";
import { errorField } from "./logger.js";
import { fromNatsHeaders } from "./nats-headers.js";
import { type RawDelivery, runDelivery } from "./run-delivery.js";
import type { ResolvedBusOptions, TaskHandler, TaskSubscription } from "./types.js";

/** What a pull subscription needs: the shared pool consumer and how to handle what it pulls. */
export interface PullSubscriptionOptions {
  nc: NatsConnection;
  consumer: Consumer;
  pool: string;
  maxInFlight: number;
  handler: TaskHandler;
  options: ResolvedBusOptions;
  /** How long one pull request waits on the server for a message. @default 30_000 */
  pullExpiresMs?: number;
}

/** A pull subscription; `halt()` stops pulling at once without waiting for handlers (bus close). */
export interface PullSubscription extends TaskSubscription {
  halt(): void;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * Idle heartbeat asked of the server for each open pull. A pull request sent while the consumer has no leader (a
 * fresh or re-electing JetStream cluster) is never answered; the client gives it up after two missed heartbeats,
 * so this bounds that stall to ~6 s instead of the library's default of half the expiry (two misses: 30-45 s).
 */
const PULL_HEARTBEAT_MS = 3_000;

/**
 * Runs `maxInFlight` slots, each a loop of "pull one message, handle it, repeat". A slot asks the server for a
 * message only while it is free, so this subscription never holds more than `maxInFlight` messages and never buffers
 * one while busy: an idle worker elsewhere gets it instead (`consume()` would refill its buffer on receipt, not on
 * completion). Open pull requests are withdrawn on stop, and the server skips requests nobody listens to.
 */
export function startPullSubscription(opts: PullSubscriptionOptions): PullSubscription {
  const { consumer, pool, options } = opts;
  const expires = opts.pullExpiresMs ?? 30_000;
  const stopping = new AbortController();
  const openPulls = new Set<ConsumerMessages>();

  const halt = (): void => {
    if (stopping.signal.aborted) return;
    stopping.abort();
    for (const pull of openPulls) pull.stop();
    openPulls.clear();
  };

  const slot = async (): Promise<void> => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      let pull: ConsumerMessages | undefined;
      try {
        pull = await consumer.fetch({
          max_messages: 1,
          expires,
          idle_heartbeat: Math.min(PULL_HEARTBEAT_MS, expires / 2),
        });
        if (stopping.signal.aborted) break;
        openPulls.add(pull);
        for await (const msg of pull) {
          // The request is satisfied (batch of one); stopping it now would not withdraw anything.
          openPulls.delete(pull);
          if (stopping.signal.aborted) {
            // Arrived in the race with stop(): hand it straight back rather than through the ack wait.
            msg.nak();
            break;
          }
          await runDelivery(toRawDelivery(msg, opts.nc), opts.handler, { pool, options });
        }
        failures = 0;
      } catch (err) {
        if (stopping.signal.aborted) break;
        failures += 1;
        options.logger.warn("task pull failed", { pool, failures, error: errorField(err) });
        await sleep(Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures), undefined, { signal: stopping.signal }).catch(
          // Aborted by stop(): the loop condition ends the slot.
          (_err: unknown) => undefined,
        );
      } finally {
        if (pull !== undefined) {
          openPulls.delete(pull);
          if (stopping.signal.aborted) pull.stop();
        }
      }
    }
  };

  const slots = Array.from({ length: opts.maxInFlight }, () => slot());
  return {
    halt,
    async stop() {
      halt();
      await Promise.allSettled(slots);
    },
  };
}

function toRawDelivery(msg: JsMsg, nc: NatsConnection): RawDelivery {
  const seq = msg.seq;
  // nak/term/working are fire-and-forget in the client; the flush makes "resolved" mean "the server has it".
  const sendAndFlush = async (what: string, send: () => void): Promise<void> => {
    try {
      send();
      await nc.flush();
    } catch (err) {
      throw new PanCodeError("UNAVAILABLE", `cannot ${what} task message seq ${seq}`, { cause: err, retryable: true });
    }
  };
  return {
    seq,
    payload: msg.data,
    headers: fromNatsHeaders(msg.headers),
    deliveryCount: msg.info.deliveryCount,
    ack: async () => {
      try {
        // ackAck waits for the server's confirmation, so a resolved ack() means the message is gone.
        await msg.ackAck();
      } catch (err) {
        throw new PanCodeError("UNAVAILABLE", `cannot ack task message seq ${seq}`, { cause: err, retryable: true });
      }
    },
    nak: (delayMs) => sendAndFlush("nak", () => msg.nak(delayMs)),
    term: () => sendAndFlush("term", () => msg.term()),
    working: () => sendAndFlush("mark working", () => msg.working()),
  };
}
