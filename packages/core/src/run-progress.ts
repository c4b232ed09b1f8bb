import { type AgentEvent, addUsage, type Usage, ZERO_USAGE } from "./agent-event.js";

/**
 * What a run has done so far, folded from its normalised agent events: the figures a live view shows (turns, the
 * tool being called, tokens, cost). The coordinator keeps one per run; `pancode watch` folds the same events.
 */
export interface RunProgress {
  turns: number;
  /** Tool of the last call still waiting for its result; "" between calls. */
  currentTool: string;
  usage: Usage;
}

/** Progress of a run that reported nothing yet. */
export const EMPTY_PROGRESS: RunProgress = { turns: 0, currentTool: "", usage: ZERO_USAGE };

/** Total tokens of a usage: input, output and both cache directions. */
export function totalTokens(usage: Usage): number {
  return usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
}

/** Progress after one more event (a pure function: the caller keeps the state). */
export function foldProgress(progress: RunProgress, event: AgentEvent): RunProgress {
  switch (event.type) {
    case "turn_start":
      return { ...progress, turns: Math.max(progress.turns, event.turn) };
    case "tool_call":
      return { ...progress, currentTool: event.tool };
    case "tool_result":
      return progress.currentTool === event.tool ? { ...progress, currentTool: "" } : progress;
    case "usage":
      return { ...progress, usage: addUsage(progress.usage, event.usage) };
    case "final":
    case "agent_error":
      return { ...progress, currentTool: "" };
    default:
      return progress;
  }
}

/**
 * Folds the text of `agent` run events (JSON of one AgentEvent each). Lines that do not parse are skipped: progress
 * is a view, and a malformed event must not break it.
 */
export function foldAgentEventTexts(progress: RunProgress, texts: readonly string[]): RunProgress {
  let next = progress;
  for (const text of texts) {
    const parsed = parseAgentEvent(text);
    if (parsed) next = foldProgress(next, parsed);
  }
  return next;
}

function parseAgentEvent(text: string): AgentEvent | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || typeof (value as { type?: unknown }).type !== "string") {
      return undefined;
    }
    const event = value as AgentEvent;
    // Usage must carry numbers; anything else would poison the totals.
    if (event.type === "usage" && (typeof event.usage?.input !== "number" || typeof event.usage?.output !== "number")) {
      return undefined;
    }
    if (event.type === "usage") {
      const u = event.usage;
      return {
        type: "usage",
        usage: {
          input: u.input,
          output: u.output,
          cacheRead: u.cacheRead ?? 0,
          cacheWrite: u.cacheWrite ?? 0,
          costUsd: typeof u.costUsd === "number" ? u.costUsd : null,
        },
      };
    }
    return event;
  } catch {
    return undefined;
  }
}
