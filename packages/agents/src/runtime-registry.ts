import { PanCodeError } from "@pancode/core";
import type { AgentRuntime } from "./agent-runtime.js";
import { claudeCodeRuntime } from "./runtimes/claude-code-runtime.js";
import { codexRuntime } from "./runtimes/codex-runtime.js";
import { commandRuntime } from "./runtimes/command-runtime.js";
import { geminiRuntime } from "./runtimes/gemini-runtime.js";
import { openCodeRuntime } from "./runtimes/opencode-runtime.js";
import { piRuntime } from "./runtimes/pi-runtime.js";

const RUNTIMES: ReadonlyMap<string, AgentRuntime> = new Map([
  [commandRuntime.name, commandRuntime],
  [piRuntime.name, piRuntime],
  [claudeCodeRuntime.name, claudeCodeRuntime],
  [codexRuntime.name, codexRuntime],
  [geminiRuntime.name, geminiRuntime],
  [openCodeRuntime.name, openCodeRuntime],
]);

/** Names of the runtimes this build of PanCode can drive. */
export function runtimeNames(): string[] {
  return [...RUNTIMES.keys()];
}

/** The adapter of `name`; throws INVALID_ARGUMENT naming the known runtimes. */
export function getRuntime(name: string): AgentRuntime {
  const runtime = RUNTIMES.get(name);
  if (!runtime) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `unknown runtime "${name}"; known runtimes: ${runtimeNames().join(", ")}`,
    );
  }
  return runtime;
}
