import type { AgentRuntime } from "../agent-runtime.js";

/** The `command` runtime: the task text is a shell command, run with `sh -c` in /workspace. */
export const commandRuntime: AgentRuntime = {
  name: "command",
  needsModel: false,
  buildInvocation: ({ task }) => ({ argv: ["sh", "-c", task], env: {} }),
};
