import type { ResolvedAgent } from "@pancode/core";

/** What a runtime adapter hands to the sandbox: the command line and the extra environment. */
export interface AgentInvocation {
  argv: string[];
  env: Record<string, string>;
}

/**
 * One adapter per agent CLI (pi, claude-code, codex, gemini, opencode, command). The worker asks it how to start
 * the agent for a task; later adapters also parse the agent's output stream into normalised events.
 */
export interface AgentRuntime {
  readonly name: string;
  buildInvocation(input: { task: string; agent: ResolvedAgent }): AgentInvocation;
}
