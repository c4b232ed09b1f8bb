import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentEvent } from "@pancode/core";
import { describe, expect, it } from "vitest";
import { createCodexParser } from "./codex-events.js";

/** Every event of a recorded Codex 0.169.0 run (fixtures/README.md), finish() included. */
function parseFixture(name: string): AgentEvent[] {
  const text = readFileSync(join(import.meta.dirname, "fixtures", `${name}.jsonl`), "utf8");
  return parseLines(text.split("\n").filter((line) => line.trim() !== ""));
}

function parseLines(lines: string[]): AgentEvent[] {
  const parser = createCodexParser();
  return [...lines.flatMap((line) => parser.push(line)), ...parser.finish()];
}

const COMMAND = "/bin/bash -lc \"printf 'hi\\\\n' > hello.txt\"";

describe("createCodexParser on recorded output", () => {
  it("codex-text: the metadata warning is no error; usage without cached tokens in input, no cost", () => {
    expect(parseFixture("codex-text")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Hello from the canned model." },
      { type: "usage", usage: { input: 90, output: 12, cacheRead: 30, cacheWrite: 0, costUsd: null } },
      { type: "turn_end", turn: 1 },
      { type: "final", text: "Hello from the canned model." },
    ]);
  });

  it("codex-tool: the shell command as one tool call and its result", () => {
    expect(parseFixture("codex-tool")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "tool_call", id: "item_1", tool: "exec_command", args: JSON.stringify({ command: COMMAND }) },
      { type: "tool_result", id: "item_1", tool: "exec_command", isError: false },
      { type: "assistant_text", text: "Done: hello.txt says hi." },
      { type: "usage", usage: { input: 180, output: 24, cacheRead: 60, cacheWrite: 0, costUsd: null } },
      { type: "turn_end", turn: 1 },
      { type: "final", text: "Done: hello.txt says hi." },
    ]);
  });

  it("codex-readonly-sandbox: a command that failed is a failed tool result (the exit code said 0)", () => {
    expect(parseFixture("codex-readonly-sandbox")).toContainEqual({
      type: "tool_result",
      id: "item_1",
      tool: "exec_command",
      isError: true,
    });
  });

  it("codex-error: retry notices are skipped; the failed turn is one agent error", () => {
    expect(parseFixture("codex-error")).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "agent_error", message: "Connection failed: error sending request" },
      { type: "turn_end", turn: 1 },
    ]);
  });
});

describe("createCodexParser on other shapes", () => {
  it("announces items that only arrive completed, and maps file changes to apply_patch", () => {
    const change = {
      id: "item_5",
      type: "file_change",
      changes: [{ path: "a.txt", kind: "add" }],
      status: "completed",
    };
    expect(parseLines([JSON.stringify({ type: "item.completed", item: change })])).toEqual([
      { type: "tool_call", id: "item_5", tool: "apply_patch", args: JSON.stringify({ changes: change.changes }) },
      { type: "tool_result", id: "item_5", tool: "apply_patch", isError: false },
    ]);
  });

  it("reports an error nothing else explained, and keeps the last words of an agent that died", () => {
    const lines = [
      "garbage",
      "null",
      JSON.stringify({ type: "turn.started" }),
      JSON.stringify({ type: "item.completed", item: { id: "i1", type: "agent_message", text: "Working on it." } }),
      JSON.stringify({ type: "error", message: "Reconnecting... 1/2 (stream disconnected)" }),
      JSON.stringify({ type: "error", message: "stream disconnected before completion" }),
    ];
    expect(parseLines(lines)).toEqual([
      { type: "turn_start", turn: 1 },
      { type: "assistant_text", text: "Working on it." },
      { type: "turn_end", turn: 1 },
      { type: "agent_error", message: "stream disconnected before completion" },
      { type: "final", text: "Working on it." },
    ]);
  });
});
