import { PanCodeError } from "@pancode/core";
import { and, asc, count, eq, isNotNull, or, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import { runs, teams } from "../schema/index.js";
import { appendAudit, type NewAuditEntry } from "./audit.js";

/** A row of `teams`. */
export type TeamRow = typeof teams.$inferSelect;

/** Creates the team or changes its run limit (null = no limit); the budget is unchanged. */
export async function setTeamMaxRunning(db: DbHandle, name: string, maxRunning: number | null): Promise<TeamRow> {
  if (maxRunning !== null && (!Number.isInteger(maxRunning) || maxRunning <= 0)) {
    throw new PanCodeError(
      "INVALID_ARGUMENT",
      `max running of team ${name} must be a whole number > 0, got ${maxRunning}`,
    );
  }
  const [row] = await db
    .insert(teams)
    .values({ name, maxRunning })
    .onConflictDoUpdate({ target: teams.name, set: { maxRunning } })
    .returning();
  if (!row) throw new PanCodeError("INTERNAL", `setting team ${name} returned no row`);
  return row;
}

/**
 * Creates the team or sets its budget ceiling (> 0), with `audit` (given the previous ceiling, null when none) in the
 * same transaction.
 */
export async function setTeamBudgetCeiling(
  db: DbHandle,
  name: string,
  ceilingUsd: number,
  audit?: (previousUsd: number | null, row: TeamRow) => NewAuditEntry,
): Promise<TeamRow> {
  if (!Number.isFinite(ceilingUsd) || ceilingUsd <= 0) {
    throw new PanCodeError("INVALID_ARGUMENT", `budget ceiling must be a positive amount in USD, got ${ceilingUsd}`);
  }
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(teams).where(eq(teams.name, name)).for("update");
    const [row] = await tx
      .insert(teams)
      .values({ name, budgetCeilingUsd: ceilingUsd })
      .onConflictDoUpdate({ target: teams.name, set: { budgetCeilingUsd: ceilingUsd } })
      .returning();
    if (!row) throw new PanCodeError("INTERNAL", `setting the budget of team ${name} returned no row`);
    if (audit) await appendAudit(tx, audit(before?.budgetCeilingUsd ?? null, row));
    return row;
  });
}

/** The team's row; undefined when the team was never named. */
export async function getTeam(db: DbHandle, name: string): Promise<TeamRow | undefined> {
  const [row] = await db.select().from(teams).where(eq(teams.name, name));
  return row;
}

/** Every team, by name. */
export async function listTeams(db: DbHandle): Promise<TeamRow[]> {
  return db.select().from(teams).orderBy(asc(teams.name));
}

/** Runs of the team and the model tokens they used. */
export async function teamRunTotals(
  db: DbHandle,
  name: string,
): Promise<{ runs: number; inputTokens: number; outputTokens: number }> {
  const [row] = await db
    .select({
      runs: count(),
      input: sql<string | null>`sum(${runs.inputTokens})`,
      output: sql<string | null>`sum(${runs.outputTokens})`,
    })
    .from(runs)
    .where(eq(runs.team, name));
  return { runs: row?.runs ?? 0, inputTokens: Number(row?.input ?? 0), outputTokens: Number(row?.output ?? 0) };
}

/**
 * Runs of the team that hold or wait for a worker slot on the bus: running, or pending with a task message
 * published. Runs held back by fair share (pending, unpublished) are not counted: they are what waits.
 */
export async function countTeamRunsOnBus(db: DbHandle, name: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(runs)
    .where(
      and(
        eq(runs.team, name),
        or(eq(runs.status, "running"), and(eq(runs.status, "pending"), isNotNull(runs.publishedAt))),
      ),
    );
  return row?.n ?? 0;
}
