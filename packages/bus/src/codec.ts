import { TaskMessage } from "@pancode/core";
import { ControlMessage } from "./control-message.js";

/** Result of decoding bytes from the wire: the value, or why it was rejected. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is a malformed message, not a string with replacement characters.
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Encodes a task as UTF-8 JSON, the bus wire format. */
export function encodeTask(task: TaskMessage): Uint8Array {
  return encoder.encode(JSON.stringify(task));
}

/** Decodes and validates a task; never throws, so a bad message can be terminated instead of crashing a worker. */
export function decodeTask(bytes: Uint8Array): Decoded<TaskMessage> {
  return decodeJson(bytes, (value) => TaskMessage.safeParse(value));
}

/** Encodes a control message as UTF-8 JSON. */
export function encodeControl(message: ControlMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Decodes and validates a control message; never throws. */
export function decodeControl(bytes: Uint8Array): Decoded<ControlMessage> {
  return decodeJson(bytes, (value) => ControlMessage.safeParse(value));
}

type SafeParse<T> = (value: unknown) => { success: true; data: T } | { success: false; error: { message: string } };

function decodeJson<T>(bytes: Uint8Array, parse: SafeParse<T>): Decoded<T> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    return { ok: false, error: `not UTF-8 JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = parse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: parsed.error.message };
}
