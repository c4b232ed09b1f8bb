import type { AgentEvent, Usage } from "@pancode/core";
import type { OutputParser } from "../agent-runtime.js";

/** Longest rendering of a tool call's arguments kept in an event: enough for a progress line, never a file dump. */
const ARGS_PREVIEW = 200;

interface PiContentBlock {
  type?: string;
  text?: string;
}

interface PiAssistantMessage {
  role?: string;
  content?: PiContentBlock[];
  stopReason?: string;
  errorMessage?: string;
  usage?: {
    input?: number;
    output?: number;
    cacheRead?: number;
    cacheWrite?: number;
    cost?: { total?: number };
  };
}

interface PiEvent {
  type?: string;
  message?: PiAssistantMessage;
  toolCallId?: string;
  toolName?: string;
  args?: unknown;
  isError?: boolean;
}

function textOf(message: PiAssistantMessage): string {
  return (message.content ?? [])
    .filter((block) => block.type === "text" && typeof block.text === "string")
    .map((block) => block.text)
    .join("");
}

function usageOf(message: PiAssistantMessage): Usage | undefined {
  const u = message.usage;
  if (!u) return undefined;
  return {
    input: u.input ?? 0,
    output: u.output ?? 0,
    cacheRead: u.cacheRead ?? 0,
    cacheWrite: u.cacheWrite ?? 0,
    costUsd: typeof u.cost?.total === "number" ? u.cost.total : null,
  };
}

/**
 * Parses `pi --mode json` output (one JSON event per line: agent_start, turn_start, message_start/update/end,
 * tool_execution_start/update/end, turn_end, agent_end) into normalised agent events. Streaming deltas
 * (message_update) are skipped: the complete message arrives with message_end. Lines that are not JSON are ignored,
 * so a CLI printing garbage cannot break the worker (its raw output still lands in the run's tail).
 */
export function createPiParser(): OutputParser {
  let turn = 0;
  let lastText = "";
  let finished = false;
  return {
    push(line) {
      let event: PiEvent;
      try {
        event = JSON.parse(line) as PiEvent;
      } catch (_err) {
        // Not one of Pi's JSON events (a stray log line): nothing to normalise.
        return [];
      }
      switch (event.type) {
        case "turn_start":
          turn += 1;
          return [{ type: "turn_start", turn }];
        case "turn_end":
          return [{ type: "turn_end", turn: Math.max(turn, 1) }];
        case "tool_execution_start":
          return [
            {
              type: "tool_call",
              id: event.toolCallId ?? "",
              tool: event.toolName ?? "",
              args: JSON.stringify(event.args ?? {}).slice(0, ARGS_PREVIEW),
            },
          ];
        case "tool_execution_end":
          return [
            {
              type: "tool_result",
              id: event.toolCallId ?? "",
              tool: event.toolName ?? "",
              isError: Boolean(event.isError),
            },
          ];
        case "message_end":
          return messageEnd(event.message);
        case "agent_end":
          finished = true;
          return [{ type: "final", text: lastText }];
        default:
          return [];
      }
    },
    finish() {
      // A Pi that died before agent_end still reports what it said last.
      return finished || lastText === "" ? [] : [{ type: "final", text: lastText }];
    },
  };

  function messageEnd(message: PiAssistantMessage | undefined): AgentEvent[] {
    if (message?.role !== "assistant") return [];
    const events: AgentEvent[] = [];
    const text = textOf(message);
    if (text) {
      lastText = text;
      events.push({ type: "assistant_text", text });
    }
    const usage = usageOf(message);
    if (usage) events.push({ type: "usage", usage });
    if (message.stopReason === "error" || message.stopReason === "aborted") {
      events.push({ type: "agent_error", message: message.errorMessage ?? `model call ${message.stopReason}` });
    }
    return events;
  }
}
