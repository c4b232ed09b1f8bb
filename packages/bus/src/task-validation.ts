import { PanCodeError, TaskMessage } from "@pancode/core";
import { assertPoolName } from "./subjects.js";

/**
 * Validates an outgoing task: a publisher bug must fail the publish, not be discovered (and terminated) by a worker
 * later. Consumers still validate what they receive, since anything can be published on a NATS subject.
 */
export function parseOutgoingTask(task: unknown): TaskMessage {
  const parsed = TaskMessage.safeParse(task);
  if (!parsed.success) {
    throw new PanCodeError("INVALID_ARGUMENT", `invalid task message: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  assertPoolName(parsed.data.pool);
  return parsed.data;
}
