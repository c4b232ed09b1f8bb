import { z } from "zod";
import { PatchSummary } from "./patch.js";
import { RunSpec } from "./run.js";

/**
 * What the coordinator granted one attempt beyond its spec: nested dispatch (run token, depth) and the submitting
 * session's safety level.
 */
export const RunGrant = z.object({
  /** Run-scoped token for nested dispatch; "" = none. */
  runToken: z.string().default(""),
  /** Nesting depth of the run (0 for client submissions). */
  depth: z.number().int().nonnegative().default(0),
  /** Safety level of the submitting session; "" when the coordinator sent none. */
  safety: z.string().default(""),
  /** The run that dispatched this one; "" for client submissions. */
  parentRunId: z.string().default(""),
});
export type RunGrant = z.infer<typeof RunGrant>;

/** Facts of the run that its receipt records but its spec does not carry; the coordinator checks them from its rows. */
export const ReceiptFacts = z.object({
  /** plan | build | review. */
  mode: z.string().default("build"),
  isolate: z.boolean().default(false),
  /** Batch or chain the run belongs to ("" when none), its 1-based step (0 = neither). */
  batchId: z.string().default(""),
  chainId: z.string().default(""),
  step: z.number().int().nonnegative().default(0),
  /** Chain: content hash of the previous step's receipt; "" otherwise. */
  previousReceiptDigest: z.string().default(""),
});
export type ReceiptFacts = z.infer<typeof ReceiptFacts>;

/** Everything a worker is given when it claims a run: what to run, what it may do, and what its receipt records. */
export const RunAssignment = z.object({
  spec: RunSpec,
  grant: RunGrant,
  facts: ReceiptFacts,
});
export type RunAssignment = z.infer<typeof RunAssignment>;

/**
 * What a worker returns for one attempt (without the lease, which the call carries). `status` stays a string here:
 * the coordinator refuses a non-terminal one with a message naming it.
 */
export const Completion = z.object({
  status: z.string(),
  /** null when the agent never exited on its own (timeout, stop, sandbox failure). */
  exitCode: z.number().int().nullable(),
  error: z.string(),
  outputTail: z.string(),
  /** Absent when the worker sent none (the coordinator does not rely on it). */
  startedAt: z.date().optional(),
  finishedAt: z.date(),
  costUsd: z.number().nonnegative(),
  patch: PatchSummary.nullable(),
  imageDigest: z.string(),
  /** DSSE envelope (JSON) of the worker-signed receipt statement; "" when the worker sent none. */
  receiptEnvelope: z.string(),
  /** Model tokens the attempt used; 0 when the runtime reports none. */
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});
export type Completion = z.infer<typeof Completion>;
