import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentEvent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { createGeminiParser } from "./gemini-events.js";

/** Every event of a recorded Gemini CLI 0.61.0 run (fixtures/README.md), finish() included. */
function parseFixture(name: string): AgentEvent[] {
  const text = readFileSync(join(import.meta.dirname, "fixtures", `${name}.jsonl`), "utf8");
  return parseLines(text.split("\n").filter((line) => line.trim() !== ""));
}

function parseLines(lines: string[]): AgentEvent[] {
  const parser = createGeminiParser();
  return [...lines.flatMap((line) => parser.push(line)), ...parser.finish()];
}

const WRITE_ARGS = JSON.stringify({ file_path: "hello.txt", content: "hi\n" });
const line = (event: Record<string, unknown>) => JSON.stringify(event);

describe("createGeminiParser on recorded output", () => {
  it("gemini-text: one turn, the delta text, usage without cached tokens in input and no cost", () => {
    expect(parseFixture("gemini-text")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Hello from the canned model." },
      { type: "turn_end", turn: 1 },
      { type: "usage", usage: { input: 90, output: 12, cacheRead: 30, cacheWrite: 0, costUsd: null } },
      { type: "final", text: "Hello from the canned model." },
    ]);
  });

  it("gemini-tool: write_file in the first turn, the answer in the second, totals at the end", () => {
    expect(parseFixture("gemini-tool")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "tool_call", id: "write_file__write_file_1795531261201_0", tool: "write_file", args: WRITE_ARGS },
      { type: "tool_result", id: "write_file__write_file_1795531261201_0", tool: "write_file", isError: false },
      { type: "turn_end", turn: 1 },
      { type: "turn_start", turn: 2 },
      { type: "assistant_text", text: "Done: hello.txt says hi." },
      { type: "turn_end", turn: 2 },
      { type: "usage", usage: { input: 180, output: 24, cacheRead: 60, cacheWrite: 0, costUsd: null } },
      { type: "final", text: "Done: hello.txt says hi." },
    ]);
  });

  it("gemini-plan-mode: a tool refused by policy is a failed tool result, not a failed run", () => {
    const events = parseFixture("gemini-plan-mode");
    expect(events).toContainEqual({
      type: "tool_result",
      id: "write_file__write_file_1795531263412_0",
      tool: "write_file",
      isError: true,
    });
    expect(events.filter((e) => e.type === "agent_error")).toEqual([]);
    expect(events.at(-1)).toEqual({ type: "final", text: "Done: hello.txt says hi." });
  });

  it("gemini-max-turns: the turn limit (exit 53) is an agent_error after the usage of the one turn", () => {
    const events = parseFixture("gemini-max-turns");
    expect(events.filter((e) => e.type === "turn_start")).toHaveLength(1);
    expect(events.slice(-3)).toEqual([
      { type: "usage", usage: { input: 90, output: 12, cacheRead: 30, cacheWrite: 0, costUsd: null } },
      { type: "final", text: "" },
      {
        type: "agent_error",
        message:
          "FatalTurnLimitedError: Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.",
      },
    ]);
  });

  it("gemini-error: a refused connection is an agent_error, with no turn and no zero usage", () => {
    expect(parseFixture("gemini-error")).toEqual([
      { type: "final", text: "" },
      { type: "agent_error", message: "[API Error: exception TypeError: fetch failed sending request]" },
    ]);
  });
});

describe("createGeminiParser on other streams", () => {
  it("ignores garbage and warnings; a dead CLI still reports its last text", () => {
    const events = parseLines([
      "Warning: 256-color support not detected.",
      "{broken",
      line({ type: "message", role: "assistant", content: "Looking ", delta: true }),
      line({ type: "error", severity: "warning", message: "Retrying after 429" }),
      line({ type: "message", role: "assistant", content: "around.", delta: true }),
    ]);
    expect(events).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Looking around." },
      { type: "turn_end", turn: 1 },
      { type: "final", text: "Looking around." },
    ]);
  });

  it("keeps one turn open until every tool of the turn reported; text comes before its tool calls", () => {
    const events = parseLines([
      line({ type: "message", role: "assistant", content: "Reading both.", delta: true }),
      line({ type: "tool_use", tool_name: "read_file", tool_id: "a", parameters: { file_path: "a.ts" } }),
      line({ type: "tool_use", tool_name: "read_file", tool_id: "b", parameters: { file_path: "b.ts" } }),
      line({ type: "tool_result", tool_id: "a", status: "success" }),
      line({ type: "tool_result", tool_id: "b", status: "error", error: { type: "file_not_found" } }),
      line({ type: "message", role: "assistant", content: "Done.", delta: true }),
      line({
        type: "result",
        status: "success",
        stats: {
          input_tokens: 500,
          output_tokens: 30,
          cached: 100,
          input: 400,
          models: {
            main: { input_tokens: 450, output_tokens: 25, cached: 100, input: 350 },
            helper: { input_tokens: 50, output_tokens: 5, cached: 0, input: 50 },
          },
        },
      }),
    ]);
    expect(
      events.map((e) => (e.type === "turn_start" || e.type === "turn_end" ? `${e.type}:${e.turn}` : e.type)),
    ).toEqual([
      "turn_start:1",
      "assistant_text",
      "tool_call",
      "tool_call",
      "tool_result",
      "tool_result",
      "turn_end:1",
      "turn_start:2",
      "assistant_text",
      "turn_end:2",
      "usage",
      "usage",
      "final",
    ]);
    expect(events).toContainEqual({ type: "tool_result", id: "b", tool: "read_file", isError: true });
    // One usage per model of the breakdown: together they are the run's totals.
    expect(events.filter((e) => e.type === "usage").map((e) => e.usage)).toEqual([
      { input: 350, output: 25, cacheRead: 100, cacheWrite: 0, costUsd: null },
      { input: 50, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: null },
    ]);
  });

  it("explains a failed result without an error object by the last error-severity event", () => {
    const events = parseLines([
      line({ type: "error", severity: "error", message: "Model stream ended with an invalid chunk" }),
      line({ type: "result", status: "error", stats: { input_tokens: 10, output_tokens: 0, cached: 0 } }),
    ]);
    expect(events).toEqual([
      { type: "usage", usage: { input: 10, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: null } },
      { type: "final", text: "" },
      { type: "agent_error", message: "Model stream ended with an invalid chunk" },
    ]);
  });
});
