import type { AgentEvent, Usage } from "@pancode/core";
import type { OutputParser } from "../agent-runtime.js";

/** Longest rendering of a tool call's arguments kept in an event: enough for a progress line, never a file dump. */
const ARGS_PREVIEW = 200;

/** Claude Code's model name on messages it makes up itself (e.g. "API Error: …"); the result reports those. */
const SYNTHETIC_MODEL = "<synthetic>";

interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

interface ClaudeBlock {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  is_error?: boolean;
}

interface ClaudeMessage {
  id?: string;
  model?: string;
  content?: ClaudeBlock[] | string;
  usage?: ClaudeUsage;
}

interface ClaudeLine {
  type?: string;
  subtype?: string;
  message?: ClaudeMessage;
  /** Raw Anthropic stream event (with --include-partial-messages). */
  event?: { type?: string; message?: ClaudeMessage; usage?: ClaudeUsage };
  is_error?: boolean;
  result?: unknown;
  errors?: unknown;
  usage?: ClaudeUsage;
}

/** One JSON object line, or an empty object for anything else (a stray log line has nothing to normalise). */
function parseLine(raw: string): ClaudeLine {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "object" && value !== null ? (value as ClaudeLine) : {};
  } catch (_err) {
    // Not JSON at all: treated like any other line without a known type.
    return {};
  }
}

function toUsage(u: ClaudeUsage | undefined): Usage {
  return {
    input: u?.input_tokens ?? 0,
    output: u?.output_tokens ?? 0,
    cacheRead: u?.cache_read_input_tokens ?? 0,
    cacheWrite: u?.cache_creation_input_tokens ?? 0,
    costUsd: null,
  };
}

/** Anthropic's message_delta usage is cumulative for the call and may omit fields: the start snapshot fills them. */
function mergeUsage(start: ClaudeUsage | undefined, delta: ClaudeUsage | undefined): ClaudeUsage {
  return { ...start, ...Object.fromEntries(Object.entries(delta ?? {}).filter(([, v]) => typeof v === "number")) };
}

function blocksOf(message: ClaudeMessage | undefined): ClaudeBlock[] {
  return Array.isArray(message?.content) ? message.content : [];
}

/** Why a failed `result` failed: its `errors` list, else its text, else its subtype. */
function failureOf(line: ClaudeLine): string {
  const errors = Array.isArray(line.errors) ? line.errors.filter((e): e is string => typeof e === "string") : [];
  if (errors.length > 0) return errors.join("; ");
  if (typeof line.result === "string" && line.result) return line.result;
  return `claude-code ended with ${line.subtype ?? "an error"}`;
}

/**
 * Parses `claude -p --output-format stream-json --verbose [--include-partial-messages]` into normalised events.
 * A turn is one model response (one message id; Claude Code emits one `assistant` line per content block, all with
 * the same id). Per-call usage comes from the `message_delta` stream event, whose counts are final (the `assistant`
 * lines only carry the message_start snapshot, output 1); whatever the stream did not account for (no partial
 * messages, as in older recordings) is taken from the `result` totals, so the sum always matches Claude's own.
 * Cost stays null: Claude prices unknown models as Opus, so the cluster's price table is the better source.
 * The `result` line decides success: `is_error` or an `error_*` subtype becomes `agent_error` (the exit code of
 * Claude Code says less: it is 0 when tool calls were refused). Non-JSON lines are ignored.
 */
export function createClaudeCodeParser(): OutputParser {
  let turn = 0;
  let turnOpen = false;
  let messageId: string | undefined;
  let startUsage: ClaudeUsage | undefined;
  let streamed: Usage = toUsage(undefined);
  let lastText = "";
  let finished = false;
  const toolNames = new Map<string, string>();

  function closeTurn(): AgentEvent[] {
    if (!turnOpen) return [];
    turnOpen = false;
    return [{ type: "turn_end", turn }];
  }

  function beginTurn(id: string | undefined): AgentEvent[] {
    if (turnOpen && id !== undefined && id === messageId) return [];
    messageId = id;
    const events = closeTurn();
    turn += 1;
    turnOpen = true;
    events.push({ type: "turn_start", turn });
    return events;
  }

  function callUsage(usage: Usage): AgentEvent[] {
    streamed = {
      input: streamed.input + usage.input,
      output: streamed.output + usage.output,
      cacheRead: streamed.cacheRead + usage.cacheRead,
      cacheWrite: streamed.cacheWrite + usage.cacheWrite,
      costUsd: null,
    };
    return [{ type: "usage", usage }];
  }

  function streamEvent(event: ClaudeLine["event"]): AgentEvent[] {
    if (event?.type === "message_start") {
      startUsage = event.message?.usage;
      return beginTurn(event.message?.id);
    }
    if (event?.type === "message_delta") {
      const usage = toUsage(mergeUsage(startUsage, event.usage));
      startUsage = undefined;
      return callUsage(usage);
    }
    return [];
  }

  function assistant(message: ClaudeMessage | undefined): AgentEvent[] {
    if (!message || message.model === SYNTHETIC_MODEL) return [];
    const events = beginTurn(message.id);
    for (const block of blocksOf(message)) {
      if (block.type === "text" && block.text) {
        lastText = block.text;
        events.push({ type: "assistant_text", text: block.text });
      } else if (block.type === "tool_use") {
        const id = block.id ?? "";
        toolNames.set(id, block.name ?? "");
        const args = JSON.stringify(block.input ?? {}).slice(0, ARGS_PREVIEW);
        events.push({ type: "tool_call", id, tool: block.name ?? "", args });
      }
    }
    return events;
  }

  function toolResults(message: ClaudeMessage | undefined): AgentEvent[] {
    return blocksOf(message)
      .filter((block) => block.type === "tool_result")
      .map((block): AgentEvent => {
        const id = block.tool_use_id ?? "";
        return { type: "tool_result", id, tool: toolNames.get(id) ?? "", isError: block.is_error === true };
      });
  }

  function result(line: ClaudeLine): AgentEvent[] {
    finished = true;
    const events: AgentEvent[] = [];
    const total = toUsage(line.usage);
    const rest: Usage = {
      input: Math.max(0, total.input - streamed.input),
      output: Math.max(0, total.output - streamed.output),
      cacheRead: Math.max(0, total.cacheRead - streamed.cacheRead),
      cacheWrite: Math.max(0, total.cacheWrite - streamed.cacheWrite),
      costUsd: null,
    };
    if (rest.input + rest.output + rest.cacheRead + rest.cacheWrite > 0) events.push(...callUsage(rest));
    events.push(...closeTurn());
    const failed = line.is_error === true || (line.subtype ?? "").startsWith("error");
    if (failed) {
      events.push({ type: "agent_error", message: failureOf(line) });
      if (lastText) events.push({ type: "final", text: lastText });
    } else {
      events.push({ type: "final", text: typeof line.result === "string" ? line.result : lastText });
    }
    return events;
  }

  return {
    push(raw) {
      const line = parseLine(raw);
      switch (line.type) {
        case "stream_event":
          return streamEvent(line.event);
        case "assistant":
          return assistant(line.message);
        case "user":
          return toolResults(line.message);
        case "result":
          return result(line);
        default:
          return [];
      }
    },
    finish() {
      if (finished) return [];
      // Claude Code died before its result line: close what is open and keep what it said last.
      const events = closeTurn();
      if (lastText) events.push({ type: "final", text: lastText });
      return events;
    },
  };
}
