import { pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Cluster-wide switches every coordinator replica reads (e.g. `draining`): a row present means on. Kept in the
 * database so they hold across replicas and restarts.
 */
export const clusterFlags = pgTable("cluster_flags", {
  name: text("name").primaryKey(),
  /** Who set it (the audit actor). */
  setBy: text("set_by").notNull().default(""),
  setAt: timestamp("set_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
