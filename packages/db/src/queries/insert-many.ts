import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { DbHandle } from "../handle.js";

/**
 * Inserts many rows as `INSERT ... SELECT * FROM unnest(...)`: one array parameter per column instead of one
 * parameter per field. Drizzle's multi-row VALUES builds a Param (and runs its type checks) for every field, which
 * for a batch of hundreds of admitted runs cost more coordinator CPU than the rest of the batch's transaction
 * (bench/README.md, admissions). Columns a row leaves undefined take their defaults, as with VALUES; every row must
 * leave the same ones undefined (false, nothing inserted, otherwise: the caller uses VALUES).
 */
export async function insertManyByColumn(
  tx: DbHandle,
  table: PgTable,
  rowObjects: readonly object[],
): Promise<boolean> {
  const rows = rowObjects as readonly Record<string, unknown>[];
  const first = rows[0];
  if (!first) return true;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(columns).filter((key) => first[key] !== undefined);
  const given = (row: Record<string, unknown>) =>
    Object.keys(columns).every((key) => (row[key] === undefined) === !keys.includes(key));
  if (!rows.every(given)) return false;
  const names: SQL[] = [];
  const arrays: SQL[] = [];
  for (const key of keys) {
    const column = columns[key] as PgColumn;
    names.push(sql`${sql.identifier(column.name)}`);
    const values = rows.map((row) => toDriver(column, row[key]));
    arrays.push(sql`${sql.param(values)}::${sql.raw(column.getSQLType())}[]`);
  }
  await tx.execute(
    sql`insert into ${table} (${sql.join(names, sql`, `)}) select * from unnest(${sql.join(arrays, sql`, `)})`,
  );
  return true;
}

/** A field as the driver is sent it inside an array (as drizzle maps it for VALUES; null stays null). */
function toDriver(column: PgColumn, value: unknown): unknown {
  if (value === null) return null;
  const mapped = column.mapToDriverValue(value);
  return mapped instanceof Date ? mapped.toISOString() : mapped;
}
