import { sql } from "drizzle-orm";
import { check, integer, numeric, pgTable } from "drizzle-orm/pg-core";

/**
 * The cluster-wide spend ceiling: exactly one row (id 1), created at the coordinator's first start. Every change is
 * one conditional UPDATE on numeric columns (see src/queries/budget.ts), so concurrent admissions serialise on this
 * row and spent + reserved can never pass the ceiling through a reservation.
 */
export const budget = pgTable(
  "budget",
  {
    /** Always 1: the table holds a single row. */
    id: integer("id").primaryKey().default(1),
    /** USD the cluster may spend in total; changed with `pancode budget set`. */
    ceilingUsd: numeric("ceiling_usd", { precision: 14, scale: 6, mode: "number" }).notNull(),
    /** Actual cost of every run that ended (failed, timed-out and interrupted runs included). */
    spentUsd: numeric("spent_usd", { precision: 14, scale: 6, mode: "number" }).notNull().default(0),
    /** Sum of the estimates reserved by runs that have not ended yet (runs.reserved_usd). */
    reservedUsd: numeric("reserved_usd", { precision: 14, scale: 6, mode: "number" }).notNull().default(0),
  },
  (t) => [
    check("budget_single_row_check", sql`${t.id} = 1`),
    check("budget_amounts_check", sql`${t.ceilingUsd} > 0 and ${t.spentUsd} >= 0 and ${t.reservedUsd} >= 0`),
  ],
);
