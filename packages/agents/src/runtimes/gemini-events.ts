import type { AgentEvent, Usage } from "@pancode/core";
import type { OutputParser } from "../agent-runtime.js";

/** Longest rendering of a tool call's arguments kept in an event: enough for a progress line, never a file dump. */
const ARGS_PREVIEW = 200;

/** Token counts of one model (or of the whole run) in Gemini's `result.stats`. */
interface GeminiTokenStats {
  /** Prompt tokens, cached ones included. */
  input_tokens?: number;
  output_tokens?: number;
  cached?: number;
  /** Prompt tokens without the cached ones. */
  input?: number;
}

interface GeminiEvent {
  type?: string;
  role?: string;
  content?: string;
  tool_name?: string;
  tool_id?: string;
  parameters?: unknown;
  status?: string;
  severity?: string;
  message?: string;
  error?: { type?: string; message?: string };
  stats?: GeminiTokenStats & { models?: Record<string, GeminiTokenStats> };
}

/** Normalised usage of one stats entry; undefined when it counted nothing (a model that was never reached). */
function usageOf(stats: GeminiTokenStats): Usage | undefined {
  const cached = stats.cached ?? 0;
  const input = stats.input ?? Math.max((stats.input_tokens ?? 0) - cached, 0);
  const output = stats.output_tokens ?? 0;
  if (input === 0 && output === 0 && cached === 0) return undefined;
  // Gemini CLI reports no cost; the worker prices the tokens from the cluster's table.
  return { input, output, cacheRead: cached, cacheWrite: 0, costUsd: null };
}

/**
 * Usage events of a `result`: one per model in `stats.models` (Gemini CLI only reports totals at the end, never per
 * call; several entries appear when it also called a helper model), or the run's totals when there is no breakdown.
 */
function usageEvents(stats: GeminiEvent["stats"]): AgentEvent[] {
  if (!stats) return [];
  const entries = Object.values(stats.models ?? {});
  const usages = (entries.length > 0 ? entries : [stats]).map(usageOf);
  return usages.filter((u): u is Usage => u !== undefined).map((usage) => ({ type: "usage", usage }));
}

/**
 * Parses `gemini -o stream-json` output (one JSON event per line: init, message, tool_use, tool_result, error,
 * result) into normalised agent events. Gemini has no turn events: a turn starts with the first assistant message
 * or tool call after the previous turn, and ends once every tool it called has reported (or at `result`).
 * Assistant text arrives as deltas and is reported once per turn (before the turn's first tool call). The exit code
 * is not trusted: `result.status: "error"` becomes an agent_error (turn limit, API failure, invalid stream).
 * Lines that are not JSON are ignored, so a CLI printing garbage cannot break the worker.
 */
export function createGeminiParser(): OutputParser {
  let turn = 0;
  let inTurn = false;
  /** Tool calls of the current turn that have not reported yet. */
  const openCalls = new Set<string>();
  let pendingText = "";
  let lastText = "";
  let lastError = "";
  let finished = false;
  const toolNames = new Map<string, string>();

  return {
    push(line) {
      let event: GeminiEvent;
      try {
        event = JSON.parse(line) as GeminiEvent;
      } catch (_err) {
        // Not one of Gemini's JSON events (a stray log line): nothing to normalise.
        return [];
      }
      switch (event.type) {
        case "message":
          if (event.role !== "assistant" || typeof event.content !== "string") return [];
          return [...modelActivity(), ...appendText(event.content)];
        case "tool_use": {
          const id = event.tool_id ?? "";
          const tool = event.tool_name ?? "";
          toolNames.set(id, tool);
          const events = modelActivity();
          openCalls.add(id);
          const args = JSON.stringify(event.parameters ?? {}).slice(0, ARGS_PREVIEW);
          return [...events, ...flushText(), { type: "tool_call", id, tool, args }];
        }
        case "tool_result": {
          const id = event.tool_id ?? "";
          openCalls.delete(id);
          const events: AgentEvent[] = [
            { type: "tool_result", id, tool: toolNames.get(id) ?? "", isError: event.status !== "success" },
          ];
          // The turn is over once all its tools reported: the next model output belongs to a new turn.
          return openCalls.size === 0 ? [...events, ...endTurn()] : events;
        }
        case "error":
          // Warnings (retries, loop notices) are not failures; an error-severity one explains a failed result.
          if (event.severity === "error" && event.message) lastError = event.message;
          return [];
        case "result":
          return result(event);
        default:
          return [];
      }
    },
    finish() {
      // A Gemini that died before its result still reports what it said last.
      if (finished) return [];
      const events = endTurn();
      return lastText === "" ? events : [...events, { type: "final", text: lastText }];
    },
  };

  /** Events owed when the model produces output: a new turn when none is open. */
  function modelActivity(): AgentEvent[] {
    if (inTurn) return [];
    inTurn = true;
    turn += 1;
    return [{ type: "turn_start", turn }];
  }

  /** Closes the open turn, reporting the text it still holds first. */
  function endTurn(): AgentEvent[] {
    if (!inTurn) return [];
    inTurn = false;
    openCalls.clear();
    return [...flushText(), { type: "turn_end", turn }];
  }

  function appendText(delta: string): AgentEvent[] {
    pendingText += delta;
    return [];
  }

  function flushText(): AgentEvent[] {
    const text = pendingText;
    pendingText = "";
    if (text.trim() === "") return [];
    lastText = text;
    return [{ type: "assistant_text", text }];
  }

  function result(event: GeminiEvent): AgentEvent[] {
    finished = true;
    const events = [...endTurn(), ...usageEvents(event.stats)];
    events.push({ type: "final", text: lastText });
    if (event.status !== "success") {
      const message = event.error?.message || lastError || `gemini reported status "${event.status ?? "unknown"}"`;
      const kind = event.error?.type && event.error.type !== "unknown" ? `${event.error.type}: ` : "";
      events.push({ type: "agent_error", message: `${kind}${message}` });
    }
    return events;
  }
}
