import { PanCodeError } from "@pancode/core";
import { eq, inArray, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { NewRun, RunRow } from "../rows.js";
import { budget, runs, teams } from "../schema/index.js";
import { type AuditFor, appendAuditFor, type NewAuditEntry } from "./audit.js";
import { insertRunWithReservation, type ReservationResult } from "./budget.js";
import { insertManyReadBack } from "./insert-many.js";
import { toRunRow } from "./mappers.js";

/** One run to admit with its reservation and the admission's audit entries (see {@link insertRunWithReservation}). */
export interface RunAdmission {
  row: NewRun;
  estimateUsd: number;
  audit?: AuditFor;
}

/** The outcome of one admission of a batch: what {@link insertRunWithReservation} would have returned or thrown. */
export type AdmissionOutcome = PromiseSettledResult<ReservationResult>;

/**
 * Group commit of admissions: the runs of many concurrent dispatches in one transaction, so the budget row (and the
 * audit chain) are locked once per batch instead of once per run. One multi-row run INSERT; the teams' rows (by
 * name) and then the budget row locked FOR UPDATE; the runs that fit admitted in order, each one's estimate added
 * to the running totals of its team and the cluster, in exact micro-dollars; one UPDATE per ceiling; one chain
 * append of every admitted run's entries; one COMMIT.
 *
 * A run that does not fit with the batch ahead of it is taken out of the batch and then admitted alone by
 * {@link insertRunWithReservation}, which gives it its own refusal (or admits it, if another run ended in between):
 * every refusal is still decided by one conditional UPDATE against the committed state. Should the batch's
 * transaction fail as a whole (a duplicate id, say), every run is retried alone, so each gets its own error.
 * Sub-runs (with a quota to count) never come here.
 */
export async function admitRuns(db: DbHandle, batch: readonly RunAdmission[]): Promise<AdmissionOutcome[]> {
  let admitted: (RunRow | undefined)[];
  try {
    admitted = batch.length > 1 ? await admitTogether(db, batch) : batch.map(() => undefined);
  } catch {
    admitted = batch.map(() => undefined);
  }
  return Promise.all(
    batch.map(async (item, i): Promise<AdmissionOutcome> => {
      const run = admitted[i];
      if (run) return { status: "fulfilled", value: { ok: true, run } };
      try {
        return {
          status: "fulfilled",
          value: await insertRunWithReservation(db, item.row, item.estimateUsd, item.audit),
        };
      } catch (reason) {
        return { status: "rejected", reason };
      }
    }),
  );
}

/** Amounts as integer micro-dollars (numeric scale 6), so sums and comparisons are exact. */
function micros(amount: string): bigint {
  const [whole = "0", fraction = ""] = amount.split(".");
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0").slice(0, 6));
}

function toNumeric(m: bigint): string {
  const fraction = (m % 1_000_000n).toString().padStart(6, "0");
  return `${m / 1_000_000n}.${fraction}`;
}

/** Spent plus reserved, and the ceiling (null: none), of a row locked for the batch. */
interface Headroom {
  used: bigint;
  ceiling: bigint | null;
}

/** The batch's transaction; undefined for the runs it left to be admitted alone. */
async function admitTogether(db: DbHandle, batch: readonly RunAdmission[]): Promise<(RunRow | undefined)[]> {
  const estimates = batch.map((item) => {
    if (!Number.isFinite(item.estimateUsd) || item.estimateUsd < 0) {
      throw new PanCodeError("INVALID_ARGUMENT", `estimate of run ${item.row.id} must be >= 0`);
    }
    return item.estimateUsd.toFixed(6);
  });
  return db.transaction(async (tx) => {
    // Inserted before any lock is taken: the insert contends with nothing.
    const byId = new Map((await insertBatchRuns(tx, batch, estimates)).map((r) => [r.id, toRunRow(r)]));
    const teamNames = [...new Set(batch.map((item) => item.row.team).filter((t): t is string => !!t))].sort();
    const { teamRooms, newTeams } = await lockTeams(tx, teamNames);
    const cluster = await lockBudget(tx);
    const teamSums = new Map<string, bigint>();
    let clusterSum = 0n;
    const admitted = batch.map((item, i) => {
      const estimate = micros(estimates[i] as string);
      const team = item.row.team ? teamRooms.get(item.row.team) : undefined;
      const teamSum = item.row.team ? (teamSums.get(item.row.team) ?? 0n) : 0n;
      if (team && team.ceiling !== null && team.used + teamSum + estimate > team.ceiling) return undefined;
      if (cluster.ceiling !== null && cluster.used + clusterSum + estimate > cluster.ceiling) return undefined;
      if (item.row.team) teamSums.set(item.row.team, teamSum + estimate);
      clusterSum += estimate;
      return byId.get(item.row.id);
    });
    const left = batch.filter((_, i) => !admitted[i]).map((item) => item.row.id);
    if (left.length > 0) await tx.delete(runs).where(inArray(runs.id, left));
    // A team the batch created for runs it then left out is theirs to create, alone.
    const unused = newTeams.filter((name) => !teamSums.has(name));
    if (unused.length > 0) await tx.delete(teams).where(inArray(teams.name, unused));
    await reserve(tx, teamSums, clusterSum);
    const entries: NewAuditEntry[] = [];
    batch.forEach((item, i) => {
      const run = admitted[i];
      if (run && item.audit) entries.push(...[item.audit(run)].flat());
    });
    await appendAuditFor(tx, entries);
    return admitted;
  });
}

/**
 * The batch's run rows, inserted by column (one array parameter per column) and returned as stored without reading
 * them back (only `created_at` and `unpublished_since`, the database's now(), come back); a batch whose rows give
 * different columns goes through drizzle's VALUES ... RETURNING instead.
 */
async function insertBatchRuns(
  tx: DbHandle,
  batch: readonly RunAdmission[],
  estimates: readonly string[],
): Promise<(typeof runs.$inferSelect)[]> {
  const rows = batch.map((item, i) => ({ ...item.row, reservedUsd: estimates[i] }));
  const inserted = await insertManyReadBack(tx, runs, rows);
  if (inserted) return inserted;
  return tx
    .insert(runs)
    .values(rows.map((row) => ({ ...row, reservedUsd: sql`${row.reservedUsd}::numeric` })))
    .returning();
}

/** Creates the batch's new teams and locks every team's row, by name (the order every batch locks them in). */
async function lockTeams(
  tx: DbHandle,
  names: readonly string[],
): Promise<{ teamRooms: Map<string, Headroom>; newTeams: string[] }> {
  if (names.length === 0) return { teamRooms: new Map(), newTeams: [] };
  const created = await tx
    .insert(teams)
    .values(names.map((name) => ({ name })))
    .onConflictDoNothing()
    .returning({ name: teams.name });
  const rows = await tx
    .select({
      name: teams.name,
      used: sql<string>`(${teams.spentUsd} + ${teams.reservedUsd})::text`,
      ceiling: sql<string | null>`${teams.budgetCeilingUsd}::text`,
    })
    .from(teams)
    .where(inArray(teams.name, [...names]))
    .orderBy(teams.name)
    .for("update");
  const teamRooms = new Map(
    rows.map((r) => [r.name, { used: micros(r.used), ceiling: r.ceiling === null ? null : micros(r.ceiling) }]),
  );
  return { teamRooms, newTeams: created.map((r) => r.name) };
}

/** Locks the budget row (after the teams: team before cluster, as every writer locks them). */
async function lockBudget(tx: DbHandle): Promise<Headroom> {
  const [row] = await tx
    .select({
      used: sql<string>`(${budget.spentUsd} + ${budget.reservedUsd})::text`,
      ceiling: sql<string>`${budget.ceilingUsd}::text`,
    })
    .from(budget)
    .where(eq(budget.id, 1))
    .for("update");
  if (!row) throw new PanCodeError("NOT_FOUND", "the budget is not initialised (the coordinator creates it at start)");
  return { used: micros(row.used), ceiling: micros(row.ceiling) };
}

/** Adds the admitted runs' estimates to their teams' and the cluster's reservations (rows already locked). */
async function reserve(tx: DbHandle, teamSums: Map<string, bigint>, clusterSum: bigint): Promise<void> {
  for (const [name, sum] of teamSums) {
    if (sum === 0n) continue;
    await tx
      .update(teams)
      .set({ reservedUsd: sql`${teams.reservedUsd} + ${toNumeric(sum)}::numeric` })
      .where(eq(teams.name, name));
  }
  if (clusterSum === 0n) return;
  await tx
    .update(budget)
    .set({ reservedUsd: sql`${budget.reservedUsd} + ${toNumeric(clusterSum)}::numeric` })
    .where(eq(budget.id, 1));
}
