import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats, type NatsConnectOptions } from "./nats-connection.js";
import { DEFAULT_STREAM_NAME } from "./streams.js";

/**
 * Deletes the task stream with every message in it and its consumers, as an operator's mistake or a lost NATS
 * volume would. The fault suite uses it to take every queued task away at once under load; a coordinator must
 * still bring each run to an end. Rejects when there is no such stream or the user may not delete it.
 */
export async function deleteTaskStream(
  options: Omit<NatsConnectOptions, "connectionName"> & { streamName?: string },
): Promise<boolean> {
  const nc = await connectNats({ ...options, connectionName: "pancode-stream-admin" });
  try {
    const jsm = await jetstreamManager(nc);
    return await jsm.streams.delete(options.streamName ?? DEFAULT_STREAM_NAME);
  } finally {
    await nc.close();
  }
}
