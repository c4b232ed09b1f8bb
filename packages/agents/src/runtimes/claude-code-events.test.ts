import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentEvent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { createClaudeCodeParser } from "./claude-code-events.js";

/** Every event of a recorded Claude Code 2.1.197 run (fixtures/README.md), finish() included. */
function parseFixture(name: string): AgentEvent[] {
  const text = readFileSync(join(import.meta.dirname, "fixtures", `${name}.jsonl`), "utf8");
  return parseLines(text.split("\n").filter((line) => line.trim() !== ""));
}

function parseLines(lines: string[]): AgentEvent[] {
  const parser = createClaudeCodeParser();
  return [...lines.flatMap((line) => parser.push(line)), ...parser.finish()];
}

const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({
  type: "usage",
  usage: { input, output, cacheRead, cacheWrite, costUsd: null },
});

describe("createClaudeCodeParser on recorded output", () => {
  it("claude-code-text: one turn, its text as the final answer, usage from the result, no cost", () => {
    expect(parseFixture("claude-code-text")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Hello from the canned model." },
      usage(90, 12, 30),
      { type: "turn_end", turn: 1 },
      { type: "final", text: "Hello from the canned model." },
    ]);
  });

  it("claude-code-tool: Write call and result in turn 1, the answer in turn 2", () => {
    expect(parseFixture("claude-code-tool")).toEqual([
      { type: "turn_start", turn: 1 },
      {
        type: "tool_call",
        id: "toolu_1",
        tool: "Write",
        args: JSON.stringify({ file_path: "/workspace/hello.txt", content: "hi\n" }),
      },
      { type: "tool_result", id: "toolu_1", tool: "Write", isError: false },
      { type: "turn_end", turn: 1 },
      { type: "turn_start", turn: 2 },
      { type: "assistant_text", text: "Done: hello.txt says hi." },
      usage(180, 24, 60),
      { type: "turn_end", turn: 2 },
      { type: "final", text: "Done: hello.txt says hi." },
    ]);
  });

  it("claude-code-denied: a refused tool is a failed tool result, not a failed run", () => {
    const events = parseFixture("claude-code-denied");
    expect(events).toContainEqual({ type: "tool_result", id: "toolu_1", tool: "Write", isError: true });
    expect(events.some((e) => e.type === "agent_error")).toBe(false);
  });

  it("claude-code-max-turns: the turn limit is an agent error, though the tool ran", () => {
    expect(parseFixture("claude-code-max-turns")).toEqual([
      { type: "turn_start", turn: 1 },
      expect.objectContaining({ type: "tool_call", tool: "Write" }),
      { type: "tool_result", id: "toolu_1", tool: "Write", isError: false },
      usage(90, 12, 30),
      { type: "turn_end", turn: 1 },
      { type: "agent_error", message: "Reached maximum number of turns (1)" },
    ]);
  });

  it("claude-code-error: a refused connection is an agent error; the synthetic message is no model turn", () => {
    expect(parseFixture("claude-code-error")).toEqual([
      { type: "agent_error", message: "API Error: Unable to connect to API (ConnectionRefused)" },
    ]);
  });
});

// Lines in the shape Claude Code 2.1.197 prints with --include-partial-messages against the scripted model server
// (ids shortened, unused fields dropped): one model call with text and a tool call, one with the answer.
const partial = (event: Record<string, unknown>) => JSON.stringify({ type: "stream_event", event });
const assistant = (id: string, content: unknown[]) =>
  JSON.stringify({
    type: "assistant",
    message: { id, model: "m", content, usage: { input_tokens: 1200, output_tokens: 1 } },
  });
const PARTIAL_RUN = [
  JSON.stringify({ type: "system", subtype: "init", tools: ["Read", "Write"] }),
  partial({
    type: "message_start",
    message: {
      id: "msg_a",
      usage: { input_tokens: 1200, cache_creation_input_tokens: 50, cache_read_input_tokens: 100, output_tokens: 1 },
    },
  }),
  partial({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "I'll " } }),
  assistant("msg_a", [{ type: "text", text: "I'll create hello.txt." }]),
  assistant("msg_a", [{ type: "tool_use", id: "toolu_a", name: "Write", input: { file_path: "h", content: "x" } }]),
  partial({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 40 } }),
  partial({ type: "message_stop" }),
  JSON.stringify({
    type: "user",
    message: { role: "user", content: [{ tool_use_id: "toolu_a", type: "tool_result", content: "ok" }] },
  }),
  partial({ type: "message_start", message: { id: "msg_b", usage: { input_tokens: 1300, output_tokens: 1 } } }),
  assistant("msg_b", [{ type: "text", text: "Created hello.txt." }]),
  partial({ type: "message_delta", usage: { input_tokens: 1300, cache_read_input_tokens: 1000, output_tokens: 12 } }),
  JSON.stringify({
    type: "result",
    subtype: "success",
    is_error: false,
    result: "Created hello.txt.",
    total_cost_usd: 0.0146,
    usage: { input_tokens: 2500, cache_creation_input_tokens: 50, cache_read_input_tokens: 1100, output_tokens: 52 },
  }),
];

describe("createClaudeCodeParser with partial messages", () => {
  it("takes each call's usage from message_delta and counts one turn per message id", () => {
    expect(parseLines(PARTIAL_RUN)).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "I'll create hello.txt." },
      expect.objectContaining({ type: "tool_call", id: "toolu_a", tool: "Write" }),
      usage(1200, 40, 100, 50),
      { type: "tool_result", id: "toolu_a", tool: "Write", isError: false },
      { type: "turn_end", turn: 1 },
      { type: "turn_start", turn: 2 },
      { type: "assistant_text", text: "Created hello.txt." },
      usage(1300, 12, 1000),
      // The stream accounted for the whole result: no remainder usage, so nothing is counted twice.
      { type: "turn_end", turn: 2 },
      { type: "final", text: "Created hello.txt." },
    ]);
  });

  it("survives garbage, and an agent that dies early keeps its last words", () => {
    const events = parseLines(["not json", "null", "42", "{broken", ...PARTIAL_RUN.slice(0, 5)]);
    expect(events.at(-2)).toEqual({ type: "turn_end", turn: 1 });
    expect(events.at(-1)).toEqual({ type: "final", text: "I'll create hello.txt." });
  });
});
