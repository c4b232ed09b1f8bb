import { getTableColumns, getTableName, is, SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { DbHandle } from "../handle.js";
import { rowsOf } from "./raw-rows.js";

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
  return (await insertByColumn(tx, table, rowObjects, false)) !== undefined;
}

/**
 * {@link insertManyByColumn}, returning the rows as a SELECT of them would read them: the values given and the
 * columns' static defaults, mapped to the driver and back as drizzle maps them; only what the database alone knows
 * (the columns whose default is SQL, such as `now()`) comes back with RETURNING, beside the primary key that
 * matches each to its row. Reading the whole rows back cost the coordinator a SELECT per batch and the parsing of
 * every column of every run (bench/README.md, admissions). Values are taken as sent: a numeric given with more
 * digits than its column's scale is not rounded here as Postgres rounds it (callers send them at scale). Undefined
 * (nothing inserted) when the rows give different columns.
 */
export async function insertManyReadBack<T extends PgTable>(
  tx: DbHandle,
  table: T,
  rowObjects: readonly object[],
): Promise<T["$inferSelect"][] | undefined> {
  return (await insertByColumn(tx, table, rowObjects, true)) as T["$inferSelect"][] | undefined;
}

async function insertByColumn(
  tx: DbHandle,
  table: PgTable,
  rowObjects: readonly object[],
  readBack: boolean,
): Promise<Record<string, unknown>[] | undefined> {
  const rows = rowObjects as readonly Record<string, unknown>[];
  const first = rows[0];
  if (!first) return [];
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const columnKeys = Object.keys(columns);
  const keys = columnKeys.filter((key) => first[key] !== undefined);
  const givenKeys = new Set(keys);
  const given = (row: Record<string, unknown>) =>
    columnKeys.every((key) => (row[key] === undefined) === !givenKeys.has(key));
  if (!rows.every(given)) return undefined;
  const names: SQL[] = [];
  const arrays: SQL[] = [];
  const sent = new Map<string, unknown[]>();
  for (const key of keys) {
    const column = columns[key] as PgColumn;
    names.push(sql`${sql.identifier(column.name)}`);
    const values = rows.map((row) => toDriver(column, row[key]));
    sent.set(key, values);
    arrays.push(sql`${sql.param(values)}::${sql.raw(column.getSQLType())}[]`);
  }
  const insert = sql`insert into ${table} (${sql.join(names, sql`, `)}) select * from unnest(${sql.join(arrays, sql`, `)})`;
  if (!readBack) {
    await tx.execute(insert);
    return [];
  }
  // What only the database knows: the columns left to an SQL default (now()), matched to their rows by key.
  const keyColumn = Object.entries(columns).find(([, column]) => column.primary);
  const fromDatabase = Object.entries(columns).filter(
    ([key, column]) => !givenKeys.has(key) && is(column.default, SQL),
  );
  const readRows = rows.map((_, i) => readBackSent(columns, sent, i));
  if (fromDatabase.length === 0) {
    await tx.execute(insert);
    return readRows;
  }
  if (!keyColumn || !givenKeys.has(keyColumn[0])) {
    throw new Error(`insertManyReadBack: table ${getTableName(table)} needs its primary key given`);
  }
  const [keyName, key] = keyColumn;
  const returned = sql.join(
    [key, ...fromDatabase.map(([, column]) => column)].map((column) => sql`${sql.identifier(column.name)}`),
    sql`, `,
  );
  const result = await tx.execute(sql`${insert} returning ${returned}`);
  const byKey = new Map(readRows.map((row) => [String(row[keyName]), row]));
  for (const stored of rowsOf(result)) {
    const row = byKey.get(String(stored[key.name]));
    if (!row) continue;
    for (const [name, column] of fromDatabase) row[name] = fromDriver(column, stored[column.name]);
  }
  return readRows;
}

/**
 * Row `i` as a SELECT would read it: each column's value as sent to the driver, or its static default, mapped back
 * as drizzle maps a stored value (a column left to an SQL default stays null until RETURNING fills it).
 */
function readBackSent(
  columns: Record<string, PgColumn>,
  sent: ReadonlyMap<string, readonly unknown[]>,
  i: number,
): Record<string, unknown> {
  const read: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(columns)) {
    const values = sent.get(key);
    if (values) read[key] = fromDriver(column, values[i]);
    else if (column.default === undefined || is(column.default, SQL)) read[key] = null;
    else read[key] = fromDriver(column, toDriver(column, column.default));
  }
  return read;
}

/** A stored value as drizzle maps it for a SELECT. */
function fromDriver(column: PgColumn, value: unknown): unknown {
  return value === null || value === undefined ? null : column.mapFromDriverValue(value);
}

/** A field as the driver is sent it inside an array (as drizzle maps it for VALUES; null stays null). */
function toDriver(column: PgColumn, value: unknown): unknown {
  if (value === null) return null;
  const mapped = column.mapToDriverValue(value);
  return mapped instanceof Date ? mapped.toISOString() : mapped;
}
