import type { AgentEvent, ModelTarget, ResolvedAgent } from "@pancode/core";

/** What a runtime adapter hands to the sandbox: the command line and the extra environment. */
export interface AgentInvocation {
  argv: string[];
  env: Record<string, string>;
}

/** Turns an agent CLI's stdout, line by line, into normalised events. */
export interface OutputParser {
  push(line: string): AgentEvent[];
  /** Called once at exit: events still owed (e.g. the final answer of an agent that died early). */
  finish(): AgentEvent[];
}

/**
 * One adapter per agent CLI (pi, claude-code, codex, gemini, opencode, command). The worker asks it how to start
 * the agent for a task; later adapters also parse the agent's output stream into normalised events.
 */
export interface AgentRuntime {
  readonly name: string;
  /** Whether runs of this runtime need a resolved model (coding agents) or not (plain commands). */
  readonly needsModel: boolean;
  buildInvocation(input: { task: string; agent: ResolvedAgent; model: ModelTarget | null }): AgentInvocation;
  /** Parser of the CLI's stdout; absent when the output is plain text to pass through (the command runtime). */
  createParser?(): OutputParser;
}
