import { parseDuration } from "@pancode/agents/duration";
import { UsageError } from "../client/exit-status.js";
import type { SubmitOptions } from "../client/submit/submission.js";

/** The flags every submitting command (dispatch, batch, chain, refine) takes, as commander hands them over. */
export interface SubmitFlags {
  isolate?: boolean;
  mode?: string;
  model?: string;
  maxCost?: string;
  safety?: string;
}

/** The flags of `pancode dispatch`, as commander hands them over. */
export interface DispatchFlags extends SubmitFlags {
  agent?: string;
  wait?: boolean;
  json?: boolean;
  timeout?: string;
}

/** The session's choices from a command's flags; a bad `--max-cost` is a usage error (exit 2) before any upload. */
export function submitOptions(flags: SubmitFlags): SubmitOptions {
  return {
    isolate: flags.isolate,
    mode: flags.mode,
    model: flags.model,
    maxCostUsd: parseMaxCost(flags.maxCost),
    safety: flags.safety,
  };
}

/** `--max-cost <usd>`: a positive amount in USD, or a usage error (exit 2); absent = 0, the cluster's default. */
function parseMaxCost(value: string | undefined): number {
  if (value === undefined) return 0;
  const amount = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(amount) || amount <= 0) {
    throw new UsageError(`--max-cost must be a positive amount in USD, e.g. --max-cost 0.50; got "${value}"`);
  }
  return amount;
}

/** `--timeout <duration>`: `90s`, `5m`, `1h` or milliseconds, above 0; absent = 0, the agent's own timeout. */
export function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 0;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`--timeout must be a duration such as 90s, 5m, 1h or a number of ms; got "${value}"`);
  }
  return ms;
}
