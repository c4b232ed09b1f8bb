import { type MsgHdrs, headers as natsHeaders } from "@nats-io/transport-node";
import type { BusHeaders } from "./types.js";

// Headers NATS itself sets (Nats-Msg-Id, Nats-Expected-Stream, ...) are transport detail, not bus headers.
const RESERVED = /^nats-/i;

/** Converts bus headers to NATS headers; undefined when there are none, so the message carries no header block. */
export function toNatsHeaders(source: BusHeaders | undefined): MsgHdrs | undefined {
  const entries = Object.entries(source ?? {}).filter(([key]) => !RESERVED.test(key));
  if (entries.length === 0) return undefined;
  const target = natsHeaders();
  for (const [key, value] of entries) target.set(key, value);
  return target;
}

/** Converts received NATS headers to bus headers (last value wins for repeated keys; NATS-reserved keys dropped). */
export function fromNatsHeaders(source: MsgHdrs | undefined): BusHeaders {
  const target: BusHeaders = {};
  if (source === undefined) return target;
  for (const key of source.keys()) {
    if (!RESERVED.test(key)) target[key] = source.last(key);
  }
  return target;
}
