import { PanCodeError } from "@pancode/core";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { BudgetRow, NewRun, RunRow } from "../rows.js";
import { budget, runs, teams } from "../schema/index.js";
import { type AuditFor, appendAudit, appendAuditFor, type NewAuditEntry } from "./audit.js";
import { isUniqueViolation } from "./db-errors.js";
import { toRunRow } from "./mappers.js";
import { preparedPer } from "./prepared.js";
import { lockAndCountSubRuns, type SubRunQuota } from "./sub-runs.js";
import type { TeamRow } from "./teams.js";

// All money arithmetic happens in SQL on numeric columns; JS only passes amounts in (at most 6 decimals, which a
// double round-trips exactly) and reads them back for display.

/** The statuses a run ends in; their cost is final. */
const TERMINAL = ["done", "error", "timeout", "interrupted", "budget_exceeded"] as const;

/** Creates the budget row with `ceilingUsd` unless it exists (a ceiling set later is kept across restarts). */
export async function initBudget(db: DbHandle, ceilingUsd: number): Promise<BudgetRow> {
  assertCeiling(ceilingUsd);
  await db.insert(budget).values({ id: 1, ceilingUsd }).onConflictDoNothing();
  return readBudget(db);
}

/** The budget row; NOT_FOUND before {@link initBudget} ran. */
export async function getBudget(db: DbHandle): Promise<BudgetRow> {
  return readBudget(db);
}

/**
 * Sets the ceiling (> 0); spent and reserved are unchanged. Returns the new row. `audit`, given the previous ceiling
 * (null when the budget did not exist) and the new row, is the change's audit entry, appended in the same transaction.
 */
export async function setBudgetCeiling(
  db: DbHandle,
  ceilingUsd: number,
  audit?: (previousUsd: number | null, row: BudgetRow) => NewAuditEntry,
): Promise<BudgetRow> {
  assertCeiling(ceilingUsd);
  return db.transaction(async (tx) => {
    const [before] = await tx
      .select({ ceilingUsd: budget.ceilingUsd })
      .from(budget)
      .where(eq(budget.id, 1))
      .for("update");
    const [row] = await tx
      .insert(budget)
      .values({ id: 1, ceilingUsd })
      .onConflictDoUpdate({ target: budget.id, set: { ceilingUsd } })
      .returning();
    if (!row) throw new PanCodeError("INTERNAL", "setting the budget ceiling returned no row");
    if (audit) await appendAudit(tx, audit(before?.ceilingUsd ?? null, row));
    return row;
  });
}

/**
 * Result of {@link insertRunWithReservation}: the run, or the budget that refused it, or the number of sub-runs of
 * a tree that already used its quota (nothing was written).
 */
export type ReservationResult =
  | { ok: true; run: RunRow }
  | { ok: false; budget: BudgetRow }
  | { ok: false; team: TeamRow }
  | { ok: false; subRunsStarted: number };

/** Thrown inside the reservation's transaction to roll back the run already inserted when the budget refuses. */
class BudgetRefusal {
  constructor(readonly budget: BudgetRow) {}
}

/** The same, when the run's team budget refuses. */
class TeamRefusal {
  constructor(readonly team: TeamRow) {}
}

/**
 * Reserves `estimateUsd` and inserts the run in one transaction. The reservation is a single conditional UPDATE
 * (`spent + reserved + estimate <= ceiling`): concurrent callers queue on the budget row and each re-checks the
 * condition against the committed state, so no interleaving passes the ceiling. A refusal leaves nothing behind.
 * `audit` (the admission's entry) is appended in the same transaction. With `subRuns`, the run is a sub-run and is
 * refused when its tree already started `max` sub-runs, counted under a lock on the tree's root. A run of a team
 * reserves against the team's row the same way first (team before cluster, the order every writer locks them in),
 * so neither ceiling can be passed.
 *
 * Every admission queues on the one budget row, so that row is locked as late as possible: the run is inserted
 * first (it contends with nothing) and a refusal rolls the insert back. The lock is then held for the reservation,
 * the audit append and the commit only (bench/README.md, admissions: the row lock is what serialises admissions).
 */
export async function insertRunWithReservation(
  db: DbHandle,
  row: NewRun,
  estimateUsd: number,
  audit?: AuditFor,
  subRuns?: SubRunQuota,
): Promise<ReservationResult> {
  if (!Number.isFinite(estimateUsd) || estimateUsd < 0) {
    throw new PanCodeError("INVALID_ARGUMENT", `estimate of run ${row.id} must be >= 0, got ${estimateUsd}`);
  }
  const estimate = estimateUsd.toFixed(6);
  try {
    return await db.transaction(async (tx) => {
      if (subRuns) {
        const started = await lockAndCountSubRuns(tx, subRuns.rootRunId);
        if (started >= subRuns.max) return { ok: false as const, subRunsStarted: started };
      }
      const [inserted] = await tx
        .insert(runs)
        .values({ ...row, reservedUsd: sql`${estimate}::numeric` })
        .returning();
      if (!inserted) throw new PanCodeError("INTERNAL", `insert of run ${row.id} returned no row`);
      if (row.team) {
        const team = await reserveForTeam(tx, row.team, estimate);
        if (team) throw new TeamRefusal(team);
      }
      const [reserved] = await tx
        .update(budget)
        .set({ reservedUsd: sql`${budget.reservedUsd} + ${estimate}::numeric` })
        .where(
          and(
            eq(budget.id, 1),
            sql`${budget.spentUsd} + ${budget.reservedUsd} + ${estimate}::numeric <= ${budget.ceilingUsd}`,
          ),
        )
        .returning({ id: budget.id });
      if (!reserved) throw new BudgetRefusal(await readBudget(tx));
      const run = toRunRow(inserted);
      if (audit) await appendAuditFor(tx, audit(run));
      return { ok: true as const, run };
    });
  } catch (err) {
    if (err instanceof BudgetRefusal) return { ok: false, budget: err.budget };
    if (err instanceof TeamRefusal) return { ok: false, team: err.team };
    if (isUniqueViolation(err)) {
      throw new PanCodeError("ALREADY_EXISTS", `run already exists: ${row.id}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Moves a run's reservation to spent: spent += the run's stored cost, reserved -= its reservation, then the run's
 * reservation becomes 0. Callers run it inside the transaction of the run's terminal transition, which is
 * single-writer, so it happens exactly once per run.
 */
export async function settleRun(tx: DbHandle, runId: string): Promise<void> {
  // Team first, then cluster: the order admission locks them in, so the two never deadlock.
  await tx.execute(sql`
    update ${teams}
    set spent_usd = ${teams.spentUsd} + r.cost_usd, reserved_usd = greatest(0, ${teams.reservedUsd} - r.reserved_usd)
    from ${runs} r
    where ${teams.name} = r.team and r.id = ${runId}`);
  await tx.execute(sql`
    update ${budget}
    set spent_usd = ${budget.spentUsd} + r.cost_usd, reserved_usd = ${budget.reservedUsd} - r.reserved_usd
    from ${runs} r
    where ${budget.id} = 1 and r.id = ${runId}`);
  await tx.update(runs).set({ reservedUsd: 0 }).where(eq(runs.id, runId));
}

const costByAgentAndModel = preparedPer((db) =>
  db
    .select({
      byModel: sql<
        string | null
      >`round(avg(${runs.costUsd}) filter (where ${runs.model} = ${sql.placeholder("model")}), 6)`,
      byAgent: sql<string | null>`round(avg(${runs.costUsd}), 6)`,
    })
    .from(runs)
    .where(and(eq(runs.agent, sql.placeholder("agent")), inArray(runs.status, [...TERMINAL])))
    .prepare("pancode_cost_by_agent_and_model"),
);

/**
 * Estimated cost of the next run of `agent` with `model`: the average actual cost of its ended runs with the same
 * model, else of all its ended runs (rounded to 6 decimals in SQL); null when it never ran.
 */
export async function estimateRunCost(db: DbHandle, agent: string, model: string): Promise<number | null> {
  const [row] = await costByAgentAndModel(db).execute({ agent, model });
  const value = row?.byModel ?? row?.byAgent ?? null;
  return value === null ? null : Number(value);
}

/** Number of runs ever admitted. */
export async function countRuns(db: DbHandle): Promise<number> {
  const [row] = await db.select({ n: count() }).from(runs);
  return row?.n ?? 0;
}

/**
 * Reserves `estimate` on the team's row (created when the team is new); returns the team row when its ceiling
 * would be passed (nothing reserved), undefined when reserved.
 */
async function reserveForTeam(tx: DbHandle, name: string, estimate: string): Promise<TeamRow | undefined> {
  await tx.insert(teams).values({ name }).onConflictDoNothing();
  const [reserved] = await tx
    .update(teams)
    .set({ reservedUsd: sql`${teams.reservedUsd} + ${estimate}::numeric` })
    .where(
      and(
        eq(teams.name, name),
        sql`(${teams.budgetCeilingUsd} is null or ${teams.spentUsd} + ${teams.reservedUsd} + ${estimate}::numeric <= ${teams.budgetCeilingUsd})`,
      ),
    )
    .returning({ name: teams.name });
  if (reserved) return undefined;
  const [team] = await tx.select().from(teams).where(eq(teams.name, name));
  if (!team) throw new PanCodeError("INTERNAL", `team ${name} vanished during a reservation`);
  return team;
}

const budgetRow = preparedPer((db) => db.select().from(budget).where(eq(budget.id, 1)).prepare("pancode_budget_row"));

async function readBudget(db: DbHandle): Promise<BudgetRow> {
  const [row] = await budgetRow(db).execute();
  if (!row) throw new PanCodeError("NOT_FOUND", "the budget is not initialised (the coordinator creates it at start)");
  return row;
}

function assertCeiling(ceilingUsd: number): void {
  if (!Number.isFinite(ceilingUsd) || ceilingUsd <= 0) {
    throw new PanCodeError("INVALID_ARGUMENT", `budget ceiling must be a positive amount in USD, got ${ceilingUsd}`);
  }
}

/** Model tokens used by all runs, as their workers reported them at completion. */
export async function tokenTotals(db: DbHandle): Promise<{ inputTokens: number; outputTokens: number }> {
  const [row] = await db
    .select({
      input: sql<string | null>`sum(${runs.inputTokens})`,
      output: sql<string | null>`sum(${runs.outputTokens})`,
    })
    .from(runs);
  return { inputTokens: Number(row?.input ?? 0), outputTokens: Number(row?.output ?? 0) };
}
