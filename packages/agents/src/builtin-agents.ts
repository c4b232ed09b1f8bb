import { AgentSpec } from "./agent-spec.js";

/**
 * The built-in fleet. `shell` runs the task text as a shell command in /workspace: the plain "command" runtime,
 * useful for scripted changes (`sed`, codemods, formatters) and tests. Coding agents join in their own runtimes.
 */
export const BUILTIN_AGENTS: readonly AgentSpec[] = [
  AgentSpec.parse({
    name: "shell",
    description: "Runs the task as a shell command (sh -c) in the workspace; no model involved.",
    runtime: "command",
  }),
];
