import { EMPTY_DIGEST, sha256Digest } from "@pancode/core";
import { canonicalJson } from "./canonical-json.js";

/** in-toto Statement v1 type. */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
/** Predicate type of a PanCode run receipt. */
export const RUN_PREDICATE_TYPE = "https://pancode.dev/receipt/v1";

/** What a run was asked to do. */
export interface RunReceiptParameters {
  task: string;
  /** sha256 of the task text. */
  taskHash: string;
  agent: string;
  /** sha256 of the canonical JSON of the resolved agent definition. */
  agentSpecDigest: string;
  runtime: string;
  image: string;
  imageDigest: string;
  model: string;
  provider: string;
  mode: string;
  /** Safety level of the submitting session (suggest | auto-edit | full-auto); absent in older receipts. */
  safetyLevel?: string;
  /** Version of the agent CLI the image carries (its `pancode.version.<runtime>` label); "" for plain commands. */
  runtimeVersion?: string;
  /** Tools the agent was given ([] = the runtime's default set). */
  tools?: string[];
  /** Run that dispatched this one with its run token ("" for client submissions) and the nesting depth. */
  parentRunId?: string;
  depth?: number;
  readonly: boolean;
  isolate: boolean;
  repoId: string;
  baseCommit: string;
  stateDigest: string;
}

/** Tokens the agent reported (0 when it reports none). */
export interface RunReceiptTokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * The model calls the worker's model proxy metered (present when there were any): a verifier knows the run's tokens
 * and cost were measured outside the agent's reach, not reported by it. Models sorted.
 */
export interface RunReceiptModelCalls {
  calls: number;
  models: string[];
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** What the run did. */
export interface RunReceiptResults {
  status: string;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  tokens: RunReceiptTokens;
  costUsd: number;
  outputHash: string;
  patchDigest: string;
  patchBytes: number;
  patchFiles: string[];
  /** Absent in receipts of runs without proxy-metered calls (plain commands, older workers). */
  modelCalls?: RunReceiptModelCalls;
}

/**
 * The predicate of a run receipt. `issuer` says who built and first signed it: "worker" (the worker that ran it;
 * the coordinator countersigns) or "coordinator" (the coordinator ended the run itself: stop, lost worker, drain;
 * no worker ever reported, so only the coordinator signs). Batch and chain fields are empty until those exist.
 */
export interface RunReceiptPredicate {
  receiptId: string;
  issuer: "worker" | "coordinator";
  runId: string;
  attempt: number;
  workerId: string;
  parameters: RunReceiptParameters;
  results: RunReceiptResults;
  batchId: string;
  chainId: string;
  step: number;
  previousReceiptDigest: string;
  createdAt: string;
}

/** An in-toto subject: a name and its digests by algorithm (hex, no prefix). */
export interface StatementSubject {
  name: string;
  digest: { sha256: string };
}

/** An in-toto Statement v1 carrying a run receipt predicate. */
export interface RunStatement {
  _type: typeof STATEMENT_TYPE;
  subject: StatementSubject[];
  predicateType: typeof RUN_PREDICATE_TYPE;
  predicate: RunReceiptPredicate;
}

/** "sha256:<hex>" -> "<hex>". */
export function hexOf(digest: string): string {
  return digest.startsWith("sha256:") ? digest.slice("sha256:".length) : digest;
}

/** Digest of the workspace a run started from: its repository, base commit and uncommitted-state blob. */
export function workspaceDigest(p: Pick<RunReceiptParameters, "repoId" | "baseCommit" | "stateDigest">): string {
  return sha256Digest(canonicalJson({ baseCommit: p.baseCommit, repoId: p.repoId, stateDigest: p.stateDigest }));
}

/** Digest of an agent definition: sha256 of its canonical JSON. */
export function agentSpecDigest(agent: unknown): string {
  return sha256Digest(canonicalJson(agent));
}

/** The subjects a predicate must carry: the patch and the workspace. */
export function subjectsOf(predicate: RunReceiptPredicate): StatementSubject[] {
  return [
    { name: "patch", digest: { sha256: hexOf(predicate.results.patchDigest || EMPTY_DIGEST) } },
    { name: "workspace", digest: { sha256: hexOf(workspaceDigest(predicate.parameters)) } },
  ];
}

/** Wraps a predicate in an in-toto Statement whose subjects are derived from it. */
export function buildRunStatement(predicate: RunReceiptPredicate): RunStatement {
  return { _type: STATEMENT_TYPE, subject: subjectsOf(predicate), predicateType: RUN_PREDICATE_TYPE, predicate };
}

/** The DSSE payload of a statement: its RFC 8785 canonical JSON. */
export function statementPayload(statement: RunStatement): string {
  return canonicalJson(statement);
}

/** Content hash of a receipt: sha256 of the canonical payload. */
export function payloadHash(payload: string | Uint8Array): string {
  return sha256Digest(payload);
}
