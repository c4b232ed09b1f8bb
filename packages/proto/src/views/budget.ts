import type { BudgetInfo } from "../gen/pancode/v1/coordinator.js";

/** `pancode budget --json`: stable camelCase fields, amounts in USD. */
export interface BudgetJson {
  ceilingUsd: number;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number;
  estimatedNextUsd: number;
  runs: number;
  /** Model tokens of all runs: inputTokens + outputTokens. */
  tokens: number;
  inputTokens: number;
  outputTokens: number;
  /** The team this is the budget of; "" = the cluster's (a team with no ceiling shows ceilingUsd 0). */
  team: string;
}

/** A budget as `pancode budget --json` prints it. */
export function budgetJson(b: BudgetInfo): BudgetJson {
  return {
    ceilingUsd: b.ceilingUsd,
    spentUsd: b.spentUsd,
    reservedUsd: b.reservedUsd,
    remainingUsd: b.remainingUsd,
    estimatedNextUsd: b.estimatedNextUsd,
    runs: b.runs,
    tokens: b.tokens,
    inputTokens: b.inputTokens,
    outputTokens: b.outputTokens,
    team: b.team,
  };
}
