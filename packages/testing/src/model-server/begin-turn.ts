import type { Exchange } from "./http-io.js";
import { assertOpen, sleep } from "./http-io.js";
import type { ErrorFamily } from "./provider-errors.js";
import { sendProviderError } from "./provider-errors.js";
import { countAssistantTurns, inputChars } from "./recorded-request.js";
import type { TurnPlan } from "./turn-plan.js";
import { planTurn } from "./turn-plan.js";

/**
 * The part of answering a generation request every API shares, run once the handler has filled in the record
 * (model, messages, tools): finds the model's scenario (404 in the provider's shape when there is none), picks the
 * turn from the number of assistant messages in the history, and waits the turn's `delayMs`. Resolves to undefined
 * when an error was already answered.
 */
export async function beginTurn(ex: Exchange, family: ErrorFamily, idPrefix: string): Promise<TurnPlan | undefined> {
  const { record } = ex;
  const scenario = ex.scenarioFor(record.model);
  if (!scenario) {
    const known = ex.modelIds.join(", ");
    sendProviderError(
      ex,
      family,
      404,
      `The model '${record.model}' has no scenario on this scripted model server (known: ${known})`,
    );
    return undefined;
  }
  record.turnIndex = countAssistantTurns(record.messages);
  const plan = planTurn(scenario, record.turnIndex, { inputChars: inputChars(record), idPrefix });
  await sleep(plan.delayMs, ex.signal);
  assertOpen(ex.signal);
  return plan;
}

/** A response id in the style of each API (`chatcmpl-…`, `msg_…`, `resp_…`). */
export function responseId(prefix: string): string {
  return `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Unix seconds, as the OpenAI APIs report `created`. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
