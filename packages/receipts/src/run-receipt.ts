import { randomUUID } from "node:crypto";
import { sha256Digest } from "@pancode/core";
import { canonicalJson } from "./canonical-json.js";

/** What a run was asked to do. */
export interface ReceiptParameters {
  task: string;
  taskHash: string;
  agent: string;
  runtime: string;
  model: string;
  image: string;
  imageDigest: string;
  readonly: boolean;
  isolate: boolean;
  mode: string;
  repoId: string;
  baseCommit: string;
  stateDigest: string;
}

/** What the run did. */
export interface ReceiptResults {
  status: string;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  costUsd: number;
  outputHash: string;
  patchDigest: string;
  patchBytes: number;
  patchFiles: string[];
}

/** A run receipt: canonical JSON body plus its sha256 content hash. Signing is layered on top in a later step. */
export interface RunReceipt {
  id: string;
  runId: string;
  body: string;
  contentHash: string;
}

/** Receipt document format version, bumped on any change of the body's shape. */
export const RECEIPT_FORMAT = "pancode.receipt/v1";

/** Builds the receipt of a finished run attempt. */
export function createRunReceipt(input: {
  runId: string;
  attempt: number;
  workerId: string;
  parameters: ReceiptParameters;
  results: ReceiptResults;
  createdAt: string;
}): RunReceipt {
  const id = randomUUID();
  const body = canonicalJson({ format: RECEIPT_FORMAT, id, ...input });
  return { id, runId: input.runId, body, contentHash: sha256Digest(body) };
}

/** PASS when the body still hashes to the recorded content hash, TAMPERED otherwise. */
export function verifyRunReceipt(receipt: { body: string; contentHash: string }): "PASS" | "TAMPERED" {
  return sha256Digest(receipt.body) === receipt.contentHash ? "PASS" : "TAMPERED";
}
