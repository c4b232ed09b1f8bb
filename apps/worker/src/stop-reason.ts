import type { RunSpec, RunStatus } from "@pancode/core";
import type { SandboxResult } from "@pancode/sandbox";

/** Why a run was stopped before its command ended by itself. `budget`: its cost passed the run's cap. */
export type StopReason = "timeout" | "cancelled" | "stale" | "budget";

/** `$0.0123`: enough decimals for the sub-cent costs of single turns. */
function usd(amount: number): string {
  return `$${amount.toFixed(4)}`;
}

/** True when a run with cap `maxCostUsd` (0 = none) has spent past it. */
export function isOverCap(costUsd: number | null, maxCostUsd: number): boolean {
  return maxCostUsd > 0 && costUsd !== null && costUsd > maxCostUsd;
}

/** The terminal status of an attempt from its exit code, why it was stopped, and the agent's own failure. */
export function statusOf(exitCode: number, stop: StopReason | undefined, agentFailure: string): RunStatus {
  if (stop === "timeout") return "timeout";
  if (stop === "budget") return "budget_exceeded";
  if (stop) return "interrupted";
  return exitCode === 0 && !agentFailure ? "done" : "error";
}

/** Why a run did not end `done`, in the words `pancode show` prints. */
export function failureReason(f: {
  reason: StopReason | undefined;
  result: Pick<SandboxResult, "exitCode" | "oomKilled">;
  spec: Pick<RunSpec, "agent" | "maxCostUsd">;
  agentFailure: string;
  costUsd: number | null;
}): string {
  const { reason, result, spec } = f;
  if (reason === "timeout") return `timed out after ${spec.agent.timeoutMs} ms`;
  if (reason === "budget") return `cost ${usd(f.costUsd ?? 0)} passed the per-run cap of ${usd(spec.maxCostUsd)}`;
  if (reason) return `stopped (${reason})`;
  if (f.agentFailure) return `agent failed: ${f.agentFailure}`;
  if (result.oomKilled) return `killed: out of memory (limit ${spec.agent.limits.memoryMb} MiB)`;
  return `exit code ${result.exitCode}`;
}
