import { bigint, integer, numeric, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { runs } from "./runs.js";

/**
 * Live progress and usage of a run's current attempt, folded from the agent events its worker reports (turns, the
 * tool being called, tokens, cost so far). One row per run that reported agent events; plain commands have none.
 * A new attempt starts from zero, so a requeued run never counts twice.
 */
export const runUsage = pgTable("run_usage", {
  runId: text("run_id")
    .primaryKey()
    .references(() => runs.id, { onDelete: "cascade" }),
  /** Attempt the figures belong to. */
  attempt: integer("attempt").notNull(),
  turns: integer("turns").notNull().default(0),
  /** Tool of the last call still waiting for its result; '' between calls. */
  currentTool: text("current_tool").notNull().default(""),
  inputTokens: bigint("input_tokens", { mode: "number" }).notNull().default(0),
  outputTokens: bigint("output_tokens", { mode: "number" }).notNull().default(0),
  cacheReadTokens: bigint("cache_read_tokens", { mode: "number" }).notNull().default(0),
  cacheWriteTokens: bigint("cache_write_tokens", { mode: "number" }).notNull().default(0),
  /** Cost the agent reported so far, USD; null while every usage was unpriced. runs.cost_usd is the settled cost. */
  costUsd: numeric("cost_usd", { precision: 12, scale: 6, mode: "number" }),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
