import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { BatchItemRow, OrchestrationRequest, OrchestrationStatus } from "../orchestration-rows.js";

/**
 * One row per batch. The coordinator's scheduler starts its items as runs (runs.batch_id, runs.step = item index
 * + 1) while fewer than `concurrency` of them are active; the batch survives a coordinator restart.
 */
export const batches = pgTable(
  "batches",
  {
    id: text("id").primaryKey(),
    /** running until every item ended (done: all done; failed: any not done) or a user stopped it (stopped). */
    status: text("status").$type<OrchestrationStatus>().notNull().default("running"),
    /** Items in submission order; an item refused by admission carries `error` and never becomes a run. */
    items: jsonb("items").$type<BatchItemRow[]>().notNull(),
    concurrency: integer("concurrency").notNull(),
    staggerMs: integer("stagger_ms").notNull(),
    /** Workspace and dispatch options shared by every item. */
    request: jsonb("request").$type<OrchestrationRequest>().notNull(),
    submitter: text("submitter").notNull().default(""),
    /** Authenticated name of the token that submitted it (sub-runs: the parent's); null before teams existed. */
    userName: text("user_name"),
    /** Team of that token at submission; null = no team. */
    team: text("team"),
    error: text("error").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Set exactly when status leaves running. */
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** Id of the batch's receipt; '' until written. */
    receiptId: text("receipt_id").notNull().default(""),
    /** Coordinator replica that schedules it now ('' = none yet); see ownerLeaseExpiresAt. */
    owner: text("owner").notNull().default(""),
    /** The owner renews this while it lives; another replica takes the group over once it has passed. */
    ownerLeaseExpiresAt: timestamp("owner_lease_expires_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("batches_created_at_idx").on(t.createdAt.desc()),
    index("batches_team_idx").on(t.team),
    index("batches_user_name_idx").on(t.userName),
    check("batches_status_check", sql`${t.status} in ('running', 'done', 'failed', 'stopped')`),
    check("batches_concurrency_check", sql`${t.concurrency} > 0 and ${t.staggerMs} >= 0`),
  ],
);
