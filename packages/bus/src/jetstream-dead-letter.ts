import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { errorField } from "./logger.js";
import type { ResolvedBusOptions } from "./types.js";

/**
 * Removes messages that reached max deliveries. A work-queue stream keeps such a message for ever (the consumer
 * will not deliver it again, and only an ack removes it), so each consuming bus listens to the server's
 * MAX_DELIVERIES advisory and deletes the message. Several workers may race to delete; the losers see "not found".
 */
export function startDeadLetterSweeper(
  nc: NatsConnection,
  jsm: JetStreamManager,
  stream: string,
  options: ResolvedBusOptions,
): Subscription {
  const { logger } = options;
  return nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.*`, {
    callback: (err, msg) => {
      if (err) {
        logger.warn("max deliveries advisory subscription failed", { stream, error: errorField(err) });
        return;
      }
      let advisory: { stream_seq?: unknown; consumer?: unknown; deliveries?: unknown };
      try {
        advisory = msg.json();
      } catch (_err) {
        // Not ours to fix: the server only ever sends JSON here.
        return;
      }
      const seq = advisory.stream_seq;
      if (typeof seq !== "number") return;
      logger.warn("task dropped after max deliveries", {
        stream,
        seq,
        consumer: advisory.consumer,
        deliveries: advisory.deliveries,
      });
      jsm.streams.deleteMessage(stream, seq, false).catch((deleteErr: unknown) => {
        logger.debug("dropped task already removed", { stream, seq, error: errorField(deleteErr) });
      });
    },
  });
}
