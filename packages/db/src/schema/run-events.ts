import { bigserial, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { runs } from "./runs.js";

/** Append-only event log of runs (status changes, output lines, worker notes). */
export const runEvents = pgTable(
  "run_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    /** Attempt that produced the event (events of superseded attempts stay, tagged with their attempt). */
    attempt: integer("attempt").notNull(),
    /** 1, 2, 3... per run, gap-free and unique: taken from runs.event_seq inside the inserting tx. */
    seq: integer("seq").notNull(),
    at: timestamp("at", { withTimezone: true, mode: "date" }).notNull(),
    kind: text("kind").notNull(),
    text: text("text").notNull().default(""),
  },
  // Unique: two events of a run never share a seq. Also serves "events of run X after seq N" reads.
  (t) => [uniqueIndex("run_events_run_seq_idx").on(t.runId, t.seq)],
);
