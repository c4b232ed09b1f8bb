import { PanCodeError } from "@pancode/core";
import { and, asc, desc, eq, inArray, like } from "drizzle-orm";
import type { DbHandle } from "../handle.js";
import type { NewRun, RunRow } from "../rows.js";
import { runs } from "../schema/index.js";
import { isUniqueViolation } from "./db-errors.js";
import { escapeLike } from "./like.js";
import { toRunRow } from "./mappers.js";

/** Inserts a new run; throws ALREADY_EXISTS when the id is taken. */
export async function insertRun(db: DbHandle, row: NewRun): Promise<RunRow> {
  try {
    const [inserted] = await db.insert(runs).values(row).returning();
    if (!inserted) throw new PanCodeError("INTERNAL", `insert of run ${row.id} returned no row`);
    return toRunRow(inserted);
  } catch (err) {
    if (isUniqueViolation(err))
      throw new PanCodeError("ALREADY_EXISTS", `run already exists: ${row.id}`, { cause: err });
    throw err;
  }
}

/** The run with this exact id, or undefined. */
export async function getRun(db: DbHandle, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row ? toRunRow(row) : undefined;
}

/**
 * Runs whose id starts with `prefix` (short ids typed by users), newest first. The caller decides what an ambiguous
 * prefix means; ask for 2 to detect one.
 */
export async function findRunsByPrefix(db: DbHandle, prefix: string, limit = 10): Promise<RunRow[]> {
  if (prefix === "") return [];
  const rows = await db
    .select()
    .from(runs)
    .where(like(runs.id, `${escapeLike(prefix)}%`))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(limit);
  return rows.map(toRunRow);
}

/** The newest runs first (ties broken by id, which is time ordered). */
export async function listRuns(
  db: DbHandle,
  options: { limit: number; userName?: string; team?: string },
): Promise<RunRow[]> {
  const where = and(
    options.userName ? eq(runs.userName, options.userName) : undefined,
    options.team ? eq(runs.team, options.team) : undefined,
  );
  const rows = await db
    .select()
    .from(runs)
    .where(where)
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(options.limit);
  return rows.map(toRunRow);
}

/** Runs that have not ended (pending or running), oldest first: what a draining coordinator waits for. */
export async function listActiveRuns(db: DbHandle): Promise<RunRow[]> {
  const rows = await db
    .select()
    .from(runs)
    .where(inArray(runs.status, ["pending", "running"]))
    .orderBy(asc(runs.createdAt));
  return rows.map(toRunRow);
}
