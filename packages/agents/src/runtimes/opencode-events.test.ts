import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentEvent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { createOpenCodeParser } from "./opencode-events.js";

/** Every event of a recorded OpenCode 1.18.33 run (fixtures/README.md), finish() included. */
function parseFixture(name: string): AgentEvent[] {
  const text = readFileSync(join(import.meta.dirname, "fixtures", `${name}.jsonl`), "utf8");
  return parseLines(text.split("\n").filter((line) => line.trim() !== ""));
}

function parseLines(lines: string[]): AgentEvent[] {
  const parser = createOpenCodeParser();
  return [...lines.flatMap((line) => parser.push(line)), ...parser.finish()];
}

/** Usage of one canned step: 90 fresh + 30 cached prompt tokens, 12 completion tokens, priced 0.5/1.5/0.05. */
const STEP_USAGE = { input: 90, output: 12, cacheRead: 30, cacheWrite: 0, costUsd: 0.0000645 };
const line = (event: Record<string, unknown>) => JSON.stringify(event);

describe("createOpenCodeParser on recorded output", () => {
  it("opencode-text: one step is one turn with its text, usage and OpenCode's cost", () => {
    expect(parseFixture("opencode-text")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Hello from the canned model." },
      { type: "usage", usage: STEP_USAGE },
      { type: "turn_end", turn: 1 },
      { type: "final", text: "Hello from the canned model." },
    ]);
  });

  it("opencode-tool: the finished write call and its result in the first step, the answer in the second", () => {
    const args = JSON.stringify({ filePath: "/workspace/hello.txt", content: "hi\n" });
    expect(parseFixture("opencode-tool")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "tool_call", id: "call_1", tool: "write", args },
      { type: "tool_result", id: "call_1", tool: "write", isError: false },
      { type: "usage", usage: STEP_USAGE },
      { type: "turn_end", turn: 1 },
      { type: "turn_start", turn: 2 },
      { type: "assistant_text", text: "Done: hello.txt says hi." },
      { type: "usage", usage: STEP_USAGE },
      { type: "turn_end", turn: 2 },
      { type: "final", text: "Done: hello.txt says hi." },
    ]);
  });

  it("opencode-readonly-agent: without write tools the model only answers", () => {
    const events = parseFixture("opencode-readonly-agent");
    expect(events.filter((e) => e.type === "tool_call")).toEqual([]);
    expect(events.at(-1)).toEqual({ type: "final", text: "Done: hello.txt says hi." });
  });

  it("opencode-error: the refused connection is an agent_error, and there is no answer", () => {
    expect(parseFixture("opencode-error")).toEqual([
      {
        type: "agent_error",
        message: "APIError: Cannot connect to API: Unable to connect. Is the computer able to access the url?",
      },
    ]);
  });
});

describe("createOpenCodeParser on other streams", () => {
  it("counts reasoning as output, reports failed tools, ignores garbage and closes a step cut short", () => {
    const events = parseLines([
      "not json",
      line({ type: "step_start", part: { type: "step-start" } }),
      line({ type: "reasoning", part: { type: "reasoning", text: "hmm" } }),
      line({
        type: "tool_use",
        part: { tool: "bash", callID: "c1", state: { status: "error", input: { command: "false" }, error: "exit 1" } },
      }),
      line({
        type: "step_finish",
        part: { reason: "tool-calls", tokens: { input: 100, output: 10, reasoning: 5, cache: { read: 0, write: 20 } } },
      }),
      line({ type: "step_start", part: { type: "step-start" } }),
      line({ type: "text", part: { type: "text", text: "Partial answer" } }),
    ]);
    expect(events).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "tool_call", id: "c1", tool: "bash", args: '{"command":"false"}' },
      { type: "tool_result", id: "c1", tool: "bash", isError: true },
      { type: "usage", usage: { input: 100, output: 15, cacheRead: 0, cacheWrite: 20, costUsd: null } },
      { type: "turn_end", turn: 1 },
      { type: "turn_start", turn: 2 },
      { type: "assistant_text", text: "Partial answer" },
      { type: "turn_end", turn: 2 },
      { type: "final", text: "Partial answer" },
    ]);
  });

  it("names an error without a message by its name", () => {
    expect(parseLines([line({ type: "error", error: { name: "ProviderAuthError" } })])).toEqual([
      { type: "agent_error", message: "ProviderAuthError" },
    ]);
  });
});
