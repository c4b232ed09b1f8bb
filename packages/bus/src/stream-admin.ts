import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "./nats-connection.js";
import { DEFAULT_STREAM_NAME } from "./streams.js";

/** Destructive operations on the task stream, as an operator (or a fault test) performs them by hand. */
export interface TaskStreamAdmin {
  /** Deletes the stream with its messages and consumers; false when there was none. */
  deleteStream(): Promise<boolean>;
  /** Removes every message of the stream (consumers stay). */
  purgeStream(): Promise<void>;
  /** Removes one message; false when the stream no longer had it. */
  deleteMessage(seq: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Connects with a user allowed to manage streams (the coordinator's). */
export async function openTaskStreamAdmin(options: {
  url: string;
  user?: string;
  pass?: string;
  streamName?: string;
}): Promise<TaskStreamAdmin> {
  const stream = options.streamName ?? DEFAULT_STREAM_NAME;
  const nc = await connectNats({ ...options, connectionName: "pancode-stream-admin" });
  const jsm = await jetstreamManager(nc);
  return {
    deleteStream: () => jsm.streams.delete(stream),
    purgeStream: async () => {
      await jsm.streams.purge(stream);
    },
    deleteMessage: (seq) => jsm.streams.deleteMessage(stream, seq, false),
    close: () => nc.close(),
  };
}
