import { randomUUID } from "node:crypto";
import { PanCodeError } from "@pancode/core";
import type { Database, RunRow } from "@pancode/db";
import {
  envelopePayload,
  type GroupReceiptPredicate,
  payloadHash,
  type SigningKey,
  signGroupReceipt,
} from "@pancode/receipts";
import { totalCost } from "./group-cost.js";

/** The store as the group receipt writer uses it. */
export type GroupReceiptStore = Pick<
  Database,
  "getBatch" | "getChain" | "getReceipt" | "listRunsOf" | "setGroupReceipt"
>;

/**
 * Writes the receipt of a batch or chain once it ended: a statement signed by the coordinator listing its runs in
 * step order with the content hash of each run's receipt, so a verifier can tell a step receipt removed or moved.
 */
export class GroupReceiptWriter {
  constructor(private readonly deps: { db: GroupReceiptStore; key: SigningKey }) {}

  async write(what: { batchId: string } | { chainId: string }): Promise<string> {
    const { db } = this.deps;
    const group =
      "batchId" in what
        ? { kind: "batch" as const, row: await db.getBatch(what.batchId), failedStep: 0 }
        : { kind: "chain" as const, row: await db.getChain(what.chainId), failedStep: 0 };
    const row = group.row;
    if (!row)
      throw new PanCodeError("NOT_FOUND", `no ${group.kind} ${"batchId" in what ? what.batchId : what.chainId}`);
    const runs = await db.listRunsOf(group.kind === "batch" ? { batchId: row.id } : { chainId: row.id });
    const predicate: GroupReceiptPredicate = {
      receiptId: randomUUID(),
      kind: group.kind,
      id: row.id,
      status: row.status,
      error: row.error,
      failedStep: "failedStep" in row ? row.failedStep : 0,
      costUsd: totalCost(runs),
      createdAt: row.createdAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? "",
      runs: await Promise.all(runs.map((run) => this.listed(run))),
    };
    const envelope = signGroupReceipt(predicate, this.deps.key.privateKey);
    await db.setGroupReceipt(group.kind, row.id, {
      id: predicate.receiptId,
      contentHash: payloadHash(envelopePayload(envelope)),
      body: JSON.stringify(envelope),
    });
    return predicate.receiptId;
  }

  private async listed(run: RunRow): Promise<GroupReceiptPredicate["runs"][number]> {
    const receipt = run.receiptId ? await this.deps.db.getReceipt(run.receiptId) : undefined;
    return { step: run.step, runId: run.id, receiptId: run.receiptId, receiptDigest: receipt?.contentHash ?? "" };
  }
}
