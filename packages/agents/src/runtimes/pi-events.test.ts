import { describe, expect, it } from "vitest";
import { createPiParser } from "./pi-events.js";

// Lines in the shape of `pi --mode json` 0.73 (pi-agent-core AgentEvent, pi-ai AssistantMessage).
const assistant = (content: unknown[], usage: Record<string, unknown>, stopReason = "toolUse") =>
  JSON.stringify({ type: "message_end", message: { role: "assistant", content, usage, stopReason } });

describe("createPiParser", () => {
  it("normalises turns, tool calls, text, usage and the final answer", () => {
    const parser = createPiParser();
    const lines = [
      JSON.stringify({ type: "agent_start" }),
      JSON.stringify({ type: "turn_start" }),
      JSON.stringify({
        type: "message_update",
        message: { role: "assistant" },
        assistantMessageEvent: { type: "text_delta" },
      }),
      assistant(
        [
          { type: "text", text: "Writing it." },
          { type: "toolCall", id: "c1", name: "write" },
        ],
        {
          input: 1200,
          output: 80,
          cacheRead: 10,
          cacheWrite: 0,
          cost: { total: 0.00072 },
        },
      ),
      JSON.stringify({
        type: "tool_execution_start",
        toolCallId: "c1",
        toolName: "write",
        args: { path: "hello.txt", content: "hi" },
      }),
      JSON.stringify({ type: "tool_execution_end", toolCallId: "c1", toolName: "write", result: {}, isError: false }),
      JSON.stringify({ type: "turn_end" }),
      JSON.stringify({ type: "turn_start" }),
      assistant([{ type: "text", text: "Done." }], { input: 1500, output: 20, cost: { total: 0.0008 } }, "stop"),
      JSON.stringify({ type: "turn_end" }),
      JSON.stringify({ type: "agent_end", messages: [] }),
    ];
    const events = lines.flatMap((line) => parser.push(line));
    expect(events).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Writing it." },
      { type: "usage", usage: { input: 1200, output: 80, cacheRead: 10, cacheWrite: 0, costUsd: 0.00072 } },
      { type: "tool_call", id: "c1", tool: "write", args: '{"path":"hello.txt","content":"hi"}' },
      { type: "tool_result", id: "c1", tool: "write", isError: false },
      { type: "turn_end", turn: 1 },
      { type: "turn_start", turn: 2 },
      { type: "assistant_text", text: "Done." },
      { type: "usage", usage: { input: 1500, output: 20, cacheRead: 0, cacheWrite: 0, costUsd: 0.0008 } },
      { type: "turn_end", turn: 2 },
      { type: "final", text: "Done." },
    ]);
    expect(parser.finish()).toEqual([]);
  });

  it("survives garbage and reports model errors and an early death", () => {
    const parser = createPiParser();
    expect(parser.push("not json at all")).toEqual([]);
    expect(parser.push("{broken")).toEqual([]);
    const events = parser.push(
      JSON.stringify({
        type: "message_end",
        message: {
          role: "assistant",
          content: [{ type: "text", text: "partial" }],
          stopReason: "error",
          errorMessage: "401 bad key",
        },
      }),
    );
    expect(events).toContainEqual({ type: "agent_error", message: "401 bad key" });
    expect(parser.finish()).toEqual([{ type: "final", text: "partial" }]);
  });
});
