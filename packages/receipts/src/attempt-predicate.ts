import { createHash } from "node:crypto";
import { EMPTY_DIGEST, sha256Digest } from "@pancode/core";
import { canonicalJson } from "./canonical-json.js";
import {
  agentSpecDigest,
  type RunReceiptModelCalls,
  type RunReceiptPredicate,
  type RunReceiptTokens,
} from "./statement.js";

/**
 * The id of an attempt's receipt, derived from the run id and the attempt (a UUID-shaped slice of a sha256, version
 * nibble 8 = "custom"). Neither the worker nor anyone else chooses it, so a receipt id can never be made equal to
 * another run's id or another receipt's id, and so never shadow that run's receipt when looked up.
 */
export function receiptIdOf(runId: string, attempt: number): string {
  const hex = createHash("sha256").update(`pancode-receipt:${runId}:${attempt}`).digest("hex");
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** What a run was asked to do, as the claim hands it to the worker (and as the coordinator's records hold it). */
export interface AttemptRun {
  runId: string;
  attempt: number;
  workerId: string;
  task: string;
  /** The resolved agent exactly as the worker received it (its digest covers every field). */
  agent: { name: string; runtime: string; image: string; readonly: boolean; model: string; tools: readonly string[] };
  model: { ref: string; provider: string } | null;
  mode: string;
  /** Safety level of the session; "" = none recorded (older runs). */
  safety: string;
  parentRunId: string;
  depth: number;
  isolate: boolean;
  workspace: { repoId: string; baseCommit: string; stateDigest: string };
  batchId: string;
  chainId: string;
  step: number;
  previousReceiptDigest: string;
}

/** What came out of the attempt, as the worker reports it with its completion. */
export interface AttemptResult {
  status: string;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string;
  tokens: RunReceiptTokens;
  costUsd: number;
  outputTail: string;
  patch: { digest: string; bytes: number; files: readonly string[] } | null;
  imageDigest: string;
  /** Version label of the agent CLI in the image; "" for plain commands. */
  runtimeVersion: string;
  /** The proxy-metered model calls; absent or zero calls = none (the field is then left out). */
  modelCalls?: RunReceiptModelCalls;
}

/** Adds one `model_call` event's usage to a digest of model calls. */
export function addModelCall(
  digest: RunReceiptModelCalls,
  call: { model: string; usage: { input: number; output: number; cacheRead: number; cacheWrite: number } },
): RunReceiptModelCalls {
  return {
    calls: digest.calls + 1,
    models: digest.models.includes(call.model) ? digest.models : [...digest.models, call.model],
    inputTokens: digest.inputTokens + call.usage.input,
    outputTokens: digest.outputTokens + call.usage.output,
    cacheReadTokens: digest.cacheReadTokens + call.usage.cacheRead,
    cacheWriteTokens: digest.cacheWriteTokens + call.usage.cacheWrite,
  };
}

/** No model calls yet. */
export const NO_MODEL_CALLS: RunReceiptModelCalls = {
  calls: 0,
  models: [],
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
};

/**
 * The predicate of a worker's receipt for one attempt. The worker signs it; the coordinator rebuilds it from its own
 * records and the completion and refuses a statement that differs, so both sides must build it here, the one way.
 */
export function attemptPredicate(run: AttemptRun, result: AttemptResult, createdAt: string): RunReceiptPredicate {
  const started = Date.parse(result.startedAt);
  const finished = Date.parse(result.finishedAt);
  return {
    receiptId: receiptIdOf(run.runId, run.attempt),
    issuer: "worker",
    runId: run.runId,
    attempt: run.attempt,
    workerId: run.workerId,
    parameters: {
      task: run.task,
      taskHash: sha256Digest(run.task),
      agent: run.agent.name,
      agentSpecDigest: agentSpecDigest(run.agent),
      runtime: run.agent.runtime,
      image: run.agent.image,
      imageDigest: result.imageDigest,
      model: run.model?.ref ?? run.agent.model,
      provider: run.model?.provider ?? "",
      mode: run.mode || "build",
      ...(run.safety ? { safetyLevel: run.safety } : {}),
      runtimeVersion: result.runtimeVersion,
      tools: [...run.agent.tools],
      parentRunId: run.parentRunId,
      depth: run.depth,
      readonly: run.agent.readonly,
      isolate: run.isolate,
      repoId: run.workspace.repoId,
      baseCommit: run.workspace.baseCommit,
      stateDigest: run.workspace.stateDigest,
    },
    results: {
      status: result.status,
      exitCode: result.exitCode,
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      durationMs: Number.isFinite(started) && Number.isFinite(finished) ? Math.max(0, finished - started) : 0,
      tokens: { ...result.tokens },
      costUsd: result.costUsd,
      outputHash: sha256Digest(result.outputTail),
      patchDigest: result.patch?.digest || EMPTY_DIGEST,
      patchBytes: result.patch?.bytes ?? 0,
      patchFiles: [...(result.patch?.files ?? [])],
      ...(result.modelCalls && result.modelCalls.calls > 0
        ? { modelCalls: { ...result.modelCalls, models: [...result.modelCalls.models].sort() } }
        : {}),
    },
    batchId: run.batchId,
    chainId: run.chainId,
    step: run.step,
    previousReceiptDigest: run.previousReceiptDigest,
    createdAt,
  };
}

/**
 * Dotted paths where two JSON values differ (`parameters.model`, `results.tokens.input`); a key present on one side
 * only counts as a difference, so nothing can be smuggled into a statement as an extra field. Arrays compare whole.
 */
export function differingFields(actual: unknown, expected: unknown, path = ""): string[] {
  if (isPlainObject(actual) && isPlainObject(expected)) {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
    return keys.flatMap((key) => differingFields(actual[key], expected[key], path ? `${path}.${key}` : key));
  }
  return sameJson(actual, expected) ? [] : [path || "(statement)"];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    // A value with no canonical form (NaN, a function) equals nothing.
    return false;
  }
}
