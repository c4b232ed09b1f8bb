import { sql } from "drizzle-orm";
import { check, integer, numeric, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per team. A team's spend is tracked like the cluster's (spent + reserved, moved at a run's terminal
 * transition), and admission reserves against both rows in one transaction, so neither ceiling can be passed.
 */
export const teams = pgTable(
  "teams",
  {
    name: text("name").primaryKey(),
    /** USD the team may spend; null = only the cluster's ceiling applies. */
    budgetCeilingUsd: numeric("budget_ceiling_usd", { precision: 14, scale: 6, mode: "number" }),
    /** Runs of the team that may run at once (fair share); null = no limit. */
    maxRunning: integer("max_running"),
    /** Actual cost of the team's runs that ended since the team row exists. */
    spentUsd: numeric("spent_usd", { precision: 14, scale: 6, mode: "number" }).notNull().default(0),
    /** Estimates held by the team's runs that have not ended yet. */
    reservedUsd: numeric("reserved_usd", { precision: 14, scale: 6, mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    check(
      "teams_amounts_check",
      sql`(${t.budgetCeilingUsd} is null or ${t.budgetCeilingUsd} > 0) and ${t.spentUsd} >= 0 and ${t.reservedUsd} >= 0`,
    ),
    check("teams_max_running_check", sql`${t.maxRunning} is null or ${t.maxRunning} > 0`),
  ],
);
