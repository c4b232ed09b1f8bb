import type { ChainRow, RunRow } from "@pancode/db";
import { DEFAULT_REVIEW_TASK, verdictOf } from "./step-task.js";

/** What a chain does after its last started step ended `done`. */
export type ChainDecision =
  | { kind: "step"; agent: string; template: string }
  | { kind: "done"; verdict: string; rounds: number }
  | { kind: "failed"; error: string; verdict: string; rounds: number };

/** Refine rounds when the caller names none. */
export const DEFAULT_MAX_ROUNDS = 3;

/**
 * The next move of a chain whose last run (`last`, step k) ended done. A plain chain takes its step k+1 or is
 * done. A refine loop alternates builder (odd steps) and reviewer (even steps): after a review, an approval ends
 * it, rounds left start the builder again (the review is its $INPUT), no rounds left fail it.
 */
export function decideNext(chain: ChainRow, last: RunRow): ChainDecision {
  if (chain.kind === "chain") {
    const next = chain.steps[last.step];
    return next ? { kind: "step", agent: next.agent, template: next.task } : { kind: "done", verdict: "", rounds: 0 };
  }
  const refine = chain.refine;
  if (!refine) return { kind: "failed", error: `refine chain ${chain.id} has no settings`, verdict: "", rounds: 0 };
  if (last.step % 2 === 1) {
    return { kind: "step", agent: refine.reviewer, template: refine.reviewTask || DEFAULT_REVIEW_TASK };
  }
  const rounds = last.step / 2;
  const verdict = verdictOf(last.outputTail) || "changes_requested";
  if (verdict === "approved") return { kind: "done", verdict, rounds };
  if (rounds >= refine.maxRounds) {
    return { kind: "failed", error: `not approved after ${rounds} round(s)`, verdict, rounds };
  }
  return { kind: "step", agent: refine.builder, template: chain.originalTask };
}

/** The most steps a chain can take: its step count, or two per refine round. */
export function totalSteps(chain: ChainRow): number {
  return chain.kind === "chain" ? chain.steps.length : 2 * (chain.refine?.maxRounds ?? 0);
}
