import { PanCodeError } from "@pancode/core";
import { z } from "zod";

/**
 * A broadcast from the coordinator to every worker (core NATS pub/sub, at most once, no persistence). Today the only
 * kind is `cancel`; a worker not running `runId` ignores it. New kinds are added as members of a discriminated union.
 */
export const ControlMessage = z.object({
  type: z.literal("cancel"),
  runId: z.string().min(1),
  reason: z.string(),
});
export type ControlMessage = z.infer<typeof ControlMessage>;

/** Validates an outgoing control message; INVALID_ARGUMENT names what is wrong (a publisher bug, not a transient). */
export function parseControlMessage(message: unknown): ControlMessage {
  const parsed = ControlMessage.safeParse(message);
  if (!parsed.success) {
    throw new PanCodeError("INVALID_ARGUMENT", `invalid control message: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
