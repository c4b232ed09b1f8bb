import type { AgentEvent, Usage } from "@pancode/core";
import type { OutputParser } from "../agent-runtime.js";

/** Longest rendering of a tool call's arguments kept in an event: enough for a progress line, never a file dump. */
const ARGS_PREVIEW = 200;

interface CodexItem {
  id?: string;
  type?: string;
  text?: string;
  status?: string;
  command?: string;
  exit_code?: number | null;
  changes?: unknown;
  server?: string;
  tool?: string;
  arguments?: unknown;
  query?: string;
  error?: unknown;
}

interface CodexUsage {
  input_tokens?: number;
  cached_input_tokens?: number;
  cache_write_input_tokens?: number;
  output_tokens?: number;
}

interface CodexLine {
  type?: string;
  item?: CodexItem;
  usage?: CodexUsage;
  message?: string;
  error?: { message?: string };
}

/** One JSON object line, or an empty object for anything else (a stray log line has nothing to normalise). */
function parseLine(raw: string): CodexLine {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === "object" && value !== null ? (value as CodexLine) : {};
  } catch (_err) {
    // Not JSON at all: treated like any other line without a known type.
    return {};
  }
}

/** Tool name and argument preview of an item that is a tool call; undefined for messages, reasoning, warnings. */
function toolOf(item: CodexItem): { tool: string; args: unknown } | undefined {
  switch (item.type) {
    case "command_execution":
      return { tool: "exec_command", args: { command: item.command } };
    case "file_change":
      return { tool: "apply_patch", args: { changes: item.changes } };
    case "mcp_tool_call":
      return { tool: `${item.server ?? "mcp"}.${item.tool ?? ""}`, args: item.arguments };
    case "web_search":
      return { tool: "web_search", args: { query: item.query } };
    case "collab_tool_call":
      return { tool: item.tool ?? "collab", args: item.arguments };
    default:
      return undefined;
  }
}

/** A finished tool item failed when Codex says so, or when its command exited non-zero. */
function itemFailed(item: CodexItem): boolean {
  if (item.status !== undefined && item.status !== "completed") return true;
  return typeof item.exit_code === "number" && item.exit_code !== 0;
}

/** Codex counts cached (and cache-written) tokens inside `input_tokens`; normalised input excludes them. */
function toUsage(u: CodexUsage | undefined): Usage {
  const cacheRead = u?.cached_input_tokens ?? 0;
  const cacheWrite = u?.cache_write_input_tokens ?? 0;
  return {
    input: Math.max(0, (u?.input_tokens ?? 0) - cacheRead - cacheWrite),
    output: u?.output_tokens ?? 0,
    cacheRead,
    cacheWrite,
    costUsd: null,
  };
}

/**
 * Parses `codex exec --json` into normalised events. One exec is one Codex turn (`turn.started` …
 * `turn.completed` with the usage of all its model calls, or `turn.failed`); tool calls are `command_execution`,
 * `file_change`, `mcp_tool_call`, … items, reported when they start and when they complete. Items of type `error`
 * are warnings (e.g. unknown model metadata) and top-level `error` lines are retry notices unless nothing else
 * reports the failure, so only `turn.failed`, or a last `error` left unexplained at exit, becomes `agent_error`.
 * Codex reports no cost: usage has costUsd null. Non-JSON lines are ignored.
 */
export function createCodexParser(): OutputParser {
  let turn = 0;
  let turnOpen = false;
  let lastText = "";
  let finalSent = false;
  let unreportedError: string | undefined;
  const started = new Set<string>();

  function closeTurn(): AgentEvent[] {
    if (!turnOpen) return [];
    turnOpen = false;
    return [{ type: "turn_end", turn }];
  }

  function itemStarted(item: CodexItem | undefined): AgentEvent[] {
    const call = item && toolOf(item);
    if (!item || !call) return [];
    const id = item.id ?? "";
    started.add(id);
    return [{ type: "tool_call", id, tool: call.tool, args: JSON.stringify(call.args ?? {}).slice(0, ARGS_PREVIEW) }];
  }

  function itemCompleted(item: CodexItem | undefined): AgentEvent[] {
    if (!item) return [];
    if (item.type === "agent_message" && item.text) {
      lastText = item.text;
      return [{ type: "assistant_text", text: item.text }];
    }
    const call = toolOf(item);
    if (!call) return [];
    const id = item.id ?? "";
    // Some items (file changes, quick calls) only ever arrive completed: announce the call first.
    const events = started.has(id) ? [] : itemStarted(item);
    started.delete(id);
    events.push({ type: "tool_result", id, tool: call.tool, isError: itemFailed(item) });
    return events;
  }

  function turnCompleted(usage: CodexUsage | undefined): AgentEvent[] {
    unreportedError = undefined;
    finalSent = true;
    return [{ type: "usage", usage: toUsage(usage) }, ...closeTurn(), { type: "final", text: lastText }];
  }

  function turnFailed(message: string | undefined): AgentEvent[] {
    const reason = message || unreportedError || "codex turn failed";
    unreportedError = undefined;
    return [{ type: "agent_error", message: reason }, ...closeTurn()];
  }

  return {
    push(raw) {
      const line = parseLine(raw);
      switch (line.type) {
        case "turn.started":
          turn += 1;
          turnOpen = true;
          return [{ type: "turn_start", turn }];
        case "item.started":
          return itemStarted(line.item);
        case "item.completed":
          return itemCompleted(line.item);
        case "turn.completed":
          return turnCompleted(line.usage);
        case "turn.failed":
          return turnFailed(line.error?.message);
        case "error":
          // "Reconnecting... 1/2 (…)" is a retry notice; anything else is kept until a turn event explains it.
          if (line.message && !line.message.startsWith("Reconnecting")) unreportedError = line.message;
          return [];
        default:
          return [];
      }
    },
    finish() {
      const events = closeTurn();
      if (unreportedError) events.push({ type: "agent_error", message: unreportedError });
      unreportedError = undefined;
      if (!finalSent && lastText) events.push({ type: "final", text: lastText });
      finalSent = true;
      return events;
    },
  };
}
