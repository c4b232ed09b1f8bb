import type { NatsConnection } from "@nats-io/transport-node";
import { type LoggerPort, PanCodeError } from "@pancode/core";
import { decodeControl, encodeControl } from "./codec.js";
import { type ControlMessage, parseControlMessage } from "./control-message.js";
import { errorField } from "./logger.js";
import type { TaskSubscription } from "./types.js";

/**
 * Publishes a control message with core NATS (at most once, to whoever is subscribed now). Resolves once the server
 * has it; INVALID_ARGUMENT for a malformed message, UNAVAILABLE when NATS is gone.
 */
export async function publishNatsControl(nc: NatsConnection, subject: string, input: ControlMessage): Promise<void> {
  const message = parseControlMessage(input);
  try {
    nc.publish(subject, encodeControl(message));
    await nc.flush();
  } catch (err) {
    throw new PanCodeError("UNAVAILABLE", `cannot publish control message for run ${message.runId}`, {
      cause: err,
      retryable: true,
    });
  }
}

/**
 * Subscribes to control messages without a queue group, so every subscriber gets every message. Malformed messages
 * and throwing handlers are logged, never fatal. Resolves once the server knows the subscription.
 */
export async function subscribeNatsControl(
  nc: NatsConnection,
  subject: string,
  handler: (message: ControlMessage) => void,
  logger: LoggerPort,
): Promise<TaskSubscription> {
  try {
    const sub = nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          logger.warn("control subscription failed", { error: errorField(err) });
          return;
        }
        const decoded = decodeControl(msg.data);
        if (!decoded.ok) {
          logger.warn("malformed control message ignored", { error: decoded.error });
          return;
        }
        try {
          handler(decoded.value);
        } catch (handlerErr) {
          logger.error("control handler threw", { runId: decoded.value.runId, error: errorField(handlerErr) });
        }
      },
    });
    // The flush makes the subscription known to the server before we return, so no later publish is missed.
    await nc.flush();
    return { stop: async () => sub.unsubscribe() };
  } catch (err) {
    throw new PanCodeError("UNAVAILABLE", `cannot subscribe to control subject ${subject}`, {
      cause: err,
      retryable: true,
    });
  }
}
