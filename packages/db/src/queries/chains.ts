import { PanCodeError } from "@pancode/core";
import { and, asc, desc, eq, like } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { ChainRow, ChainStepRow, NewChain, OrchestrationStatus } from "../orchestration-rows.js";
import { chains } from "../schema/index.js";
import { escapeLike } from "./like.js";

/** Inserts a new chain (status running). */
export async function insertChain(db: DbHandle, row: NewChain): Promise<ChainRow> {
  const [inserted] = await db.insert(chains).values(row).returning();
  if (!inserted) throw new PanCodeError("INTERNAL", `insert of chain ${row.id} returned no row`);
  return inserted;
}

/** The chain with this id, or undefined. */
export async function getChain(db: DbHandle, id: string): Promise<ChainRow | undefined> {
  const [row] = await db.select().from(chains).where(eq(chains.id, id));
  return row;
}

/** Chains whose id starts with `prefix`, newest first. */
export async function findChainsByPrefix(db: DbHandle, prefix: string, limit = 2): Promise<ChainRow[]> {
  if (prefix === "") return [];
  return db
    .select()
    .from(chains)
    .where(like(chains.id, `${escapeLike(prefix)}%`))
    .orderBy(desc(chains.createdAt))
    .limit(limit);
}

/** Newest chains first. */
export async function listChains(db: DbHandle, limit: number): Promise<ChainRow[]> {
  return db.select().from(chains).orderBy(desc(chains.createdAt), desc(chains.id)).limit(limit);
}

/** Chains still running, oldest first. */
export async function listRunningChains(db: DbHandle): Promise<ChainRow[]> {
  return db.select().from(chains).where(eq(chains.status, "running")).orderBy(asc(chains.createdAt));
}

/** Fields of a running chain that advancing it may change. */
export interface ChainProgress {
  steps?: ChainStepRow[];
  verdict?: string;
  rounds?: number;
}

/** Updates a running chain's progress; false when it is no longer running. */
export async function updateChain(db: DbHandle, id: string, progress: ChainProgress): Promise<boolean> {
  const updated = await db
    .update(chains)
    .set(progress)
    .where(and(eq(chains.id, id), eq(chains.status, "running")))
    .returning({ id: chains.id });
  return updated.length > 0;
}

/** Ends a running chain; undefined when it was no longer running. */
export async function finishChain(
  db: DbHandle,
  id: string,
  end: { status: Exclude<OrchestrationStatus, "running">; error: string; failedStep?: number; verdict?: string },
): Promise<ChainRow | undefined> {
  const [row] = await db
    .update(chains)
    .set({ ...end, finishedAt: new Date() })
    .where(and(eq(chains.id, id), eq(chains.status, "running")))
    .returning();
  return row;
}

/** Deletes a chain whose first step was refused. */
export async function deleteChain(db: DbHandle, id: string): Promise<void> {
  await db.delete(chains).where(eq(chains.id, id));
}

/** Sets the chain's receipt id. */
export async function setChainReceipt(db: DbHandle, id: string, receiptId: string): Promise<void> {
  await db.update(chains).set({ receiptId }).where(eq(chains.id, id));
}
