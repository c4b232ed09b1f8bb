import { ModelTarget, ResolvedAgent } from "@pancode/core";
import type { RunRow } from "@pancode/db";
import type { AttemptRun } from "@pancode/receipts";
import type { OrchestrationFacts } from "./receipt-writer.js";

/**
 * What a claim tells the worker about a run beyond its RunSpec, read from the run's row one way for the claim and
 * for the check of the worker's receipt statement, so the two can never disagree.
 */

/** The session mode the run was admitted in; runs stored before modes existed ran in build. */
export function modeOf(run: RunRow): string {
  return typeof run.spec.mode === "string" && run.spec.mode ? run.spec.mode : "build";
}

/** The session's safety level; "" for runs stored before safety levels existed (admitted without a scope check). */
export function safetyOf(run: RunRow): string {
  return typeof run.spec.safety === "string" ? run.spec.safety : "";
}

/** The run's resolved model; null for runtimes that need none (and for a stored value that no longer parses). */
export function modelOf(run: RunRow): ModelTarget | null {
  return ModelTarget.nullable()
    .catch(null)
    .parse(run.spec.model ?? null);
}

/**
 * The agent as the worker sees it after the claim: parsed with the schema's defaults, the same as the worker does,
 * so the agent spec digest both compute is the same.
 */
function agentOf(run: RunRow): ResolvedAgent {
  const parsed = ResolvedAgent.safeParse(run.spec.agent);
  return parsed.success ? parsed.data : run.spec.agent;
}

/** The run half of an attempt's receipt predicate, from the coordinator's own records. */
export function attemptRunOf(run: RunRow, facts: OrchestrationFacts): AttemptRun {
  return {
    runId: run.id,
    attempt: run.attempt,
    workerId: run.workerId,
    task: run.task,
    agent: agentOf(run),
    model: modelOf(run),
    mode: modeOf(run),
    safety: safetyOf(run),
    parentRunId: run.parentRunId,
    depth: run.depth,
    isolate: run.isolate,
    workspace: { repoId: run.repoId, baseCommit: run.baseCommit, stateDigest: run.stateDigest },
    ...facts,
  };
}
