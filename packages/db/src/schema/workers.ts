import { sql } from "drizzle-orm";
import { check, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Workers known to the coordinator, kept alive by heartbeats. */
export const workers = pgTable(
  "workers",
  {
    id: text("id").primaryKey(),
    pool: text("pool").notNull().default(""),
    /** 'docker' | 'process'. */
    sandbox: text("sandbox").$type<"docker" | "process">().notNull(),
    /** Maximum concurrent runs the worker accepts. */
    capacity: integer("capacity").notNull(),
    /** Runs in flight as of the last heartbeat (0 <= active, normally <= capacity). */
    active: integer("active").notNull().default(0),
    version: text("version").notNull().default(""),
    registeredAt: timestamp("registered_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** 'up' | 'gone'. A gone worker must register again; its heartbeats are refused until then. */
    status: text("status").$type<"up" | "gone">().notNull().default("up"),
  },
  (t) => [
    check("workers_sandbox_check", sql`${t.sandbox} in ('docker', 'process')`),
    check("workers_status_check", sql`${t.status} in ('up', 'gone')`),
    check("workers_counts_check", sql`${t.capacity} >= 0 and ${t.active} >= 0`),
  ],
);
