import type { RunEvent } from "./types.js";

/** One normalised agent event (packages/core AgentEvent), as far as the timeline reads it. */
export interface AgentEvent {
  type: string;
  turn?: number;
  id?: string;
  tool?: string;
  args?: string;
  isError?: boolean;
  text?: string;
  message?: string;
  provider?: string;
  model?: string;
  status?: number;
  usage?: { input: number; output: number; costUsd: number | null };
  durationMs?: number;
  error?: string;
}

/** A run event the pages can render: an agent event (`event` set), or a line of output/lifecycle with its kind. */
export interface Entry {
  seq: number;
  at: string;
  kind: string;
  text: string;
  event: AgentEvent | null;
}

const AGENT_TYPES = new Set([
  "turn_start",
  "turn_end",
  "tool_call",
  "tool_result",
  "assistant_text",
  "usage",
  "final",
  "model_call",
  "agent_error",
]);

/**
 * Reads one event of the API: `kind: "agent"` with the agent event as JSON text (as `logs --json`), or the agent
 * event's fields inline with `type`. Text that does not parse stays a log line: run output is data, never markup.
 */
function toEntry(e: RunEvent): Entry {
  if (e.kind === "agent" && typeof e.text === "string") {
    try {
      const parsed = JSON.parse(e.text) as AgentEvent;
      if (parsed && typeof parsed.type === "string")
        return { seq: e.seq, at: e.at, kind: "agent", text: "", event: parsed };
    } catch {
      // fall through: shown as text
    }
  }
  if (typeof e.type === "string" && AGENT_TYPES.has(e.type)) {
    return { seq: e.seq, at: e.at, kind: "agent", text: "", event: e as unknown as AgentEvent };
  }
  const text = typeof e.text === "string" ? e.text : "";
  return { seq: e.seq, at: e.at, kind: e.kind ?? e.type ?? "log", text, event: null };
}

/** Adds `incoming` to `known` in seq order, once each (the stream and the first fetch overlap). */
export function mergeEvents(known: Entry[], incoming: RunEvent[]): Entry[] {
  if (incoming.length === 0) return known;
  const bySeq = new Map(known.map((e) => [e.seq, e]));
  for (const e of incoming) if (!bySeq.has(e.seq)) bySeq.set(e.seq, toEntry(e));
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Token totals of the run so far, from its usage events (model_call events are the metered ones). */
export function usageOf(entries: Entry[]): { input: number; output: number; costUsd: number } {
  const metered = entries.some((e) => e.event?.type === "model_call");
  const total = { input: 0, output: 0, costUsd: 0 };
  for (const { event } of entries) {
    if (!event?.usage || event.type !== (metered ? "model_call" : "usage")) continue;
    total.input += event.usage.input;
    total.output += event.usage.output;
    total.costUsd += event.usage.costUsd ?? 0;
  }
  return total;
}
