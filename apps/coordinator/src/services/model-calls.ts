import type { Database } from "@pancode/db";
import { addModelCall, NO_MODEL_CALLS, type RunReceiptModelCalls } from "@pancode/receipts";

const PAGE = 1000;

/**
 * The digest of the model calls the coordinator recorded for one attempt, folded from the `model_call` events the
 * worker's model proxy reported (never dropped on the way): what a worker's receipt must state. Undefined when
 * there were none.
 */
export async function recordedModelCalls(
  db: Pick<Database, "listEvents">,
  runId: string,
  attempt: number,
): Promise<RunReceiptModelCalls | undefined> {
  let digest = NO_MODEL_CALLS;
  let after = 0;
  for (;;) {
    const page = await db.listEvents(runId, after, PAGE);
    for (const event of page) {
      if (event.attempt !== attempt || event.kind !== "agent") continue;
      const call = modelCallOf(event.text);
      if (call) digest = addModelCall(digest, call);
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]?.seq ?? after;
  }
  return digest.calls > 0 ? digest : undefined;
}

type ModelCall = Parameters<typeof addModelCall>[1];

function modelCallOf(text: string): ModelCall | undefined {
  try {
    const event = JSON.parse(text) as { type?: unknown; model?: unknown; usage?: Record<string, unknown> };
    if (event.type !== "model_call" || typeof event.model !== "string" || !event.usage) return undefined;
    const n = (v: unknown) => (typeof v === "number" ? v : 0);
    const u = event.usage;
    return {
      model: event.model,
      usage: { input: n(u.input), output: n(u.output), cacheRead: n(u.cacheRead), cacheWrite: n(u.cacheWrite) },
    };
  } catch {
    return undefined;
  }
}
