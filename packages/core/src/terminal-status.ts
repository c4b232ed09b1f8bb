import type { RunStatus } from "./run-status.js";

// Apart from run-status.ts (the zod schema) so a client that only asks whether a run has ended, such as the CLI's
// `dispatch --wait`, does not load the schema library at start-up.

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ["done", "error", "timeout", "interrupted", "budget_exceeded"];

/** True when `status` is final: no further transition is allowed. Any other string, unknown ones included, is not. */
export function isTerminalStatus(status: RunStatus | string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
