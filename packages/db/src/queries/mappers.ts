import type { EventRow, ReceiptRow, RunRow, WorkerRow } from "../rows.js";
import type { receipts, runEvents, runs, workers } from "../schema/index.js";

// The one place where drizzle's row shapes become the public row types. numeric and bigint columns are declared
// with `mode: "number"` in the schema, so drizzle already converts the driver's strings; these functions pin that
// down at compile time: a schema change that breaks a public type fails to compile here.

/** Converts a selected `runs` row to {@link RunRow}. */
export function toRunRow(r: typeof runs.$inferSelect): RunRow {
  return { ...r };
}

/** Converts a selected `run_events` row to {@link EventRow}. */
export function toEventRow(r: typeof runEvents.$inferSelect): EventRow {
  return { ...r };
}

/** Converts a selected `receipts` row to {@link ReceiptRow}. */
export function toReceiptRow(r: typeof receipts.$inferSelect): ReceiptRow {
  return { ...r };
}

/** Converts a selected `workers` row to {@link WorkerRow}. */
export function toWorkerRow(r: typeof workers.$inferSelect): WorkerRow {
  return { ...r };
}
