import { EMPTY_DIGEST, ModelTarget, PanCodeError, sha256Digest, type Usage } from "@pancode/core";
import type { Database, NewReceipt, RunRow, SigningKeyRow } from "@pancode/db";
import {
  type AttemptResult,
  type AttemptRun,
  agentSpecDigest,
  attemptPredicate,
  buildRunStatement,
  canonicalJson,
  checkSignature,
  countersignRunReceipt,
  type DsseEnvelope,
  differingFields,
  envelopePayload,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  payloadHash,
  type RunReceiptPredicate,
  type RunStatement,
  readStatement,
  receiptIdOf,
  type SigningKey,
  signRunReceipt,
} from "@pancode/receipts";

/** The receipt store as the receipt writer uses it: the signing keys, the run's group, the stored receipt. */
export type ReceiptStore = Pick<Database, "getReceipt" | "setReceipt" | "listKeys" | "listRunsOf">;

/** What a worker's statement must agree with: the coordinator's records of the run, and the completion it came with. */
export interface ExpectedStatement {
  /** The run as the coordinator recorded and handed it out with the claim (current attempt and worker). */
  run: AttemptRun;
  /** The completion's own report; startedAt and runtimeVersion are the worker's alone to know. */
  result: Omit<AttemptResult, "startedAt" | "runtimeVersion">;
  /** Usage folded from the attempt's agent events as the coordinator recorded them; zero when none. */
  recordedUsage: Usage;
}

/**
 * Cost is stored to 6 decimals at each progress report, so the recorded total may drift from the worker's exact sum
 * by a few millionths per report; a tenth of a cent is far above that drift and far below anything worth forging.
 */
const COST_TOLERANCE_USD = 0.001;

/** Where a run belongs in a batch or chain, as its receipt records it ("" / 0 for plain dispatches). */
export interface OrchestrationFacts {
  batchId: string;
  chainId: string;
  step: number;
  /** Chain steps after the first: the content hash of the previous step's receipt (the hash chain). */
  previousReceiptDigest: string;
}

/** The batch/chain fields of a run's receipt; the previous step's receipt is read from the database. */
export async function orchestrationFactsOf(
  db: Pick<Database, "getReceipt" | "listRunsOf">,
  run: RunRow,
): Promise<OrchestrationFacts> {
  let previousReceiptDigest = "";
  if (run.chainId && run.step > 1) {
    const previous = (await db.listRunsOf({ chainId: run.chainId })).find((r) => r.step === run.step - 1);
    const receipt = previous?.receiptId ? await db.getReceipt(previous.receiptId) : undefined;
    previousReceiptDigest = receipt?.contentHash ?? "";
  }
  return { batchId: run.batchId ?? "", chainId: run.chainId ?? "", step: run.step, previousReceiptDigest };
}

/**
 * Writes the signed receipt of a run that reached a terminal state. A worker's completion carries a DSSE envelope
 * the worker signed; the coordinator checks it against the worker's registered key and the run, then countersigns.
 * A run the coordinator ended itself (stop, lost worker, drain) gets a statement the coordinator builds and signs
 * alone, with `issuer: "coordinator"`, which verification accepts without a worker signature.
 */
export class ReceiptWriter {
  constructor(private readonly deps: { db: ReceiptStore; key: SigningKey }) {}

  /**
   * Checks a worker-signed envelope before the completion is committed; INVALID_ARGUMENT naming what does not match.
   * A statement the coordinator cannot vouch for must not make it into a receipt.
   */
  async checkWorkerEnvelope(
    envelopeJson: string,
    expected: ExpectedStatement,
    /** The signing keys, when the caller listed them already (beside its own reads). */
    listed?: SigningKeyRow[],
  ): Promise<DsseEnvelope> {
    const envelope = parseEnvelope(envelopeJson);
    const { runId, attempt, workerId } = expected.run;
    const where = `receipt of run ${runId} attempt ${attempt}`;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
      throw new PanCodeError("INVALID_ARGUMENT", `${where}: payload type must be ${IN_TOTO_PAYLOAD_TYPE}`);
    }
    const keys = (listed ?? (await this.listKeys())).filter(
      (k) => k.role === "worker" && k.ownerId === workerId && !k.revoked,
    );
    const signed = envelope.signatures.filter((s) => {
      const key = keys.find((k) => k.keyId === s.keyid);
      return key !== undefined && checkSignature(envelope, s, key.publicKeyPem);
    });
    if (signed.length !== 1 || envelope.signatures.length !== 1) {
      throw new PanCodeError(
        "INVALID_ARGUMENT",
        `${where}: must carry exactly one valid signature by a registered key of worker ${workerId}`,
      );
    }
    const text = envelopePayload(envelope).toString("utf8");
    const statement = readStatement(envelope);
    if (canonicalJson(statement) !== text) {
      throw new PanCodeError("INVALID_ARGUMENT", `${where}: payload is not canonical JSON (RFC 8785)`);
    }
    const mismatch = statementMismatches(statement, expected);
    if (mismatch.length > 0) {
      throw new PanCodeError("INVALID_ARGUMENT", `${where}: statement does not match the run (${mismatch.join(", ")})`);
    }
    return envelope;
  }

  /** Every signing key, revoked ones included (a worker's statement is checked against its owner's live ones). */
  listKeys(): Promise<SigningKeyRow[]> {
    return this.deps.db.listKeys();
  }

  /**
   * The receipt of a checked worker envelope, countersigned, ready to be stored with the completion that brought it
   * (one transaction: the ended run is never seen without its receipt).
   */
  workerReceipt(envelope: DsseEnvelope): NewReceipt {
    return receiptRow(countersignRunReceipt(envelope, this.deps.key.privateKey));
  }

  /** Builds, signs and stores a coordinator-only receipt of a run no worker reported on; returns its id. */
  async writeCoordinatorReceipt(run: RunRow, imageDigest: string): Promise<string> {
    const facts = await orchestrationFactsOf(this.deps.db, run);
    return this.store(run, signRunReceipt(coordinatorPredicate(run, imageDigest, facts), this.deps.key.privateKey));
  }

  private async store(run: RunRow, envelope: DsseEnvelope): Promise<string> {
    const receipt = receiptRow(envelope);
    await this.deps.db.setReceipt(run.id, receipt);
    return receipt.id;
  }
}

/** A signed envelope as the receipts table stores it. */
function receiptRow(envelope: DsseEnvelope): NewReceipt {
  const id = readStatement(envelope).predicate.receiptId;
  return { id, contentHash: payloadHash(envelopePayload(envelope)), body: JSON.stringify(envelope) };
}

/** The predicate of a run as the coordinator's database knows it. */
function coordinatorPredicate(
  run: RunRow,
  imageDigest: string,
  facts: OrchestrationFacts = { batchId: "", chainId: "", step: 0, previousReceiptDigest: "" },
): RunReceiptPredicate {
  const durationMs =
    run.startedAt && run.finishedAt ? Math.max(0, run.finishedAt.getTime() - run.startedAt.getTime()) : 0;
  const agent = run.spec.agent;
  const model = ModelTarget.nullable()
    .catch(null)
    .parse(run.spec.model ?? null);
  return {
    receiptId: receiptIdOf(run.id, run.attempt),
    issuer: "coordinator",
    runId: run.id,
    attempt: run.attempt,
    workerId: run.workerId,
    parameters: {
      task: run.task,
      taskHash: sha256Digest(run.task),
      agent: run.agent,
      agentSpecDigest: agentSpecDigest(agent),
      runtime: agent.runtime,
      image: agent.image,
      imageDigest,
      model: model?.ref ?? run.model,
      provider: model?.provider ?? "",
      mode: typeof run.spec.mode === "string" ? run.spec.mode : "build",
      ...(typeof run.spec.safety === "string" ? { safetyLevel: run.spec.safety } : {}),
      // The coordinator never saw the image the run used, so it cannot name the agent CLI's version.
      runtimeVersion: "",
      tools: [...agent.tools],
      parentRunId: run.parentRunId,
      depth: run.depth,
      readonly: agent.readonly,
      isolate: run.isolate,
      repoId: run.repoId,
      baseCommit: run.baseCommit,
      stateDigest: run.stateDigest,
    },
    results: {
      status: run.status,
      exitCode: run.exitCode,
      startedAt: run.startedAt?.toISOString() ?? "",
      finishedAt: run.finishedAt?.toISOString() ?? "",
      durationMs,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      costUsd: run.costUsd,
      outputHash: sha256Digest(run.outputTail),
      patchDigest: run.patchDigest || EMPTY_DIGEST,
      patchBytes: run.patchBytes,
      patchFiles: run.patchFiles.map((f) => f.path),
    },
    ...facts,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Every field of `statement` that differs from the statement the coordinator builds from its own records and the
 * completion (dotted paths, e.g. `predicate.parameters.model`), plus token and cost totals that differ from the usage
 * recorded from the attempt's events. Only what the coordinator cannot know is taken from the worker: when the
 * agent started (a valid timestamp, not after the end), the agent CLI's version label, and when the statement was made.
 */
function statementMismatches(statement: RunStatement, expected: ExpectedStatement): string[] {
  const claimed = statement.predicate as Partial<RunReceiptPredicate> | undefined;
  const startedAt = stringOr(claimed?.results?.startedAt);
  const rebuilt = attemptPredicate(
    expected.run,
    { ...expected.result, startedAt, runtimeVersion: stringOr(claimed?.parameters?.runtimeVersion) },
    stringOr(claimed?.createdAt),
  );
  const mismatch = differingFields(statement, buildRunStatement(rebuilt));
  const started = Date.parse(startedAt);
  if (!Number.isFinite(started) || started > Date.parse(expected.result.finishedAt)) {
    mismatch.push("predicate.results.startedAt");
  }
  const usage = expected.recordedUsage;
  const tokens = claimed?.results?.tokens;
  for (const field of ["input", "output", "cacheRead", "cacheWrite"] as const) {
    if (tokens?.[field] !== usage[field]) mismatch.push(`predicate.results.tokens.${field} (events)`);
  }
  const cost = claimed?.results?.costUsd;
  if (typeof cost !== "number" || Math.abs(cost - (usage.costUsd ?? 0)) > COST_TOLERANCE_USD) {
    mismatch.push("predicate.results.costUsd (events)");
  }
  return [...new Set(mismatch)];
}

function stringOr(value: unknown): string {
  return typeof value === "string" ? value : "";
}
