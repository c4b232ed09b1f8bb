import type { AgentEvent, Usage } from "@pancode/core";
import type { OutputParser } from "../agent-runtime.js";

/** Longest rendering of a tool call's arguments kept in an event: enough for a progress line, never a file dump. */
const ARGS_PREVIEW = 200;

interface OpenCodeTokens {
  /** Prompt tokens without cache reads and writes. */
  input?: number;
  /** Completion tokens without reasoning tokens. */
  output?: number;
  reasoning?: number;
  cache?: { read?: number; write?: number };
}

interface OpenCodePart {
  type?: string;
  text?: string;
  tool?: string;
  callID?: string;
  state?: { status?: string; input?: unknown; error?: string };
  reason?: string;
  tokens?: OpenCodeTokens;
  cost?: number;
}

interface OpenCodeEvent {
  type?: string;
  part?: OpenCodePart;
  error?: { name?: string; data?: { message?: string } };
}

/** Usage of one model call (one step); reasoning tokens are billed as output. */
function usageOf(part: OpenCodePart): Usage | undefined {
  const t = part.tokens;
  if (!t) return undefined;
  return {
    input: t.input ?? 0,
    output: (t.output ?? 0) + (t.reasoning ?? 0),
    cacheRead: t.cache?.read ?? 0,
    cacheWrite: t.cache?.write ?? 0,
    // OpenCode prices the step from the model's cost in its config, which carries the cluster's prices.
    costUsd: typeof part.cost === "number" ? part.cost : null,
  };
}

function errorMessage(event: OpenCodeEvent): string {
  const name = event.error?.name ?? "error";
  const message = event.error?.data?.message;
  return message ? `${name}: ${message}` : name;
}

/**
 * Parses `opencode run --format json` output (one JSON event per line: step_start, text, reasoning, tool_use,
 * step_finish, error) into normalised agent events. A step is one model call, so it is one turn; step_finish
 * carries its usage and cost. OpenCode only prints finished tool calls, so each `tool_use` yields both the call and
 * its result. The exit code is not trusted: an `error` event becomes an agent_error. Lines that are not JSON are
 * ignored, so a CLI printing garbage cannot break the worker.
 */
export function createOpenCodeParser(): OutputParser {
  let turn = 0;
  let inTurn = false;
  let lastText = "";
  return {
    push(line) {
      let event: OpenCodeEvent;
      try {
        event = JSON.parse(line) as OpenCodeEvent;
      } catch (_err) {
        // Not one of OpenCode's JSON events (a stray log line): nothing to normalise.
        return [];
      }
      const part = event.part ?? {};
      switch (event.type) {
        case "step_start":
          turn += 1;
          inTurn = true;
          return [{ type: "turn_start", turn }];
        case "text":
          if (!part.text) return [];
          lastText = part.text;
          return [{ type: "assistant_text", text: part.text }];
        case "tool_use":
          return toolUse(part);
        case "step_finish": {
          inTurn = false;
          const usage = usageOf(part);
          const events: AgentEvent[] = usage ? [{ type: "usage", usage }] : [];
          events.push({ type: "turn_end", turn: Math.max(turn, 1) });
          return events;
        }
        case "error":
          return [{ type: "agent_error", message: errorMessage(event) }];
        default:
          return [];
      }
    },
    finish() {
      // OpenCode prints no closing event: the final answer is the last text, owed once the process ended.
      const events: AgentEvent[] = inTurn ? [{ type: "turn_end", turn }] : [];
      inTurn = false;
      if (lastText !== "") events.push({ type: "final", text: lastText });
      return events;
    },
  };
}

function toolUse(part: OpenCodePart): AgentEvent[] {
  const id = part.callID ?? "";
  const tool = part.tool ?? "";
  const args = JSON.stringify(part.state?.input ?? {}).slice(0, ARGS_PREVIEW);
  return [
    { type: "tool_call", id, tool, args },
    { type: "tool_result", id, tool, isError: part.state?.status !== "completed" },
  ];
}
