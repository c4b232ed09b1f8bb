import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import type { ChainStepRow, OrchestrationRequest, OrchestrationStatus, RefineRow } from "../orchestration-rows.js";

/**
 * One row per chain (or review-fix loop). Its steps run one at a time as runs (runs.chain_id, runs.step 1-based);
 * the coordinator starts step k+1 only after step k ended `done`, so a failed step stops the chain.
 */
export const chains = pgTable(
  "chains",
  {
    id: text("id").primaryKey(),
    /** chain: fixed steps; refine: builder/reviewer steps generated until approval or max rounds. */
    kind: text("kind").$type<"chain" | "refine">().notNull(),
    status: text("status").$type<OrchestrationStatus>().notNull().default("running"),
    steps: jsonb("steps").$type<ChainStepRow[]>().notNull(),
    /** $ORIGINAL of every step. */
    originalTask: text("original_task").notNull(),
    refine: jsonb("refine").$type<RefineRow | null>(),
    request: jsonb("request").$type<OrchestrationRequest>().notNull(),
    submitter: text("submitter").notNull().default(""),
    /** Authenticated name of the token that submitted it (sub-runs: the parent's); null before teams existed. */
    userName: text("user_name"),
    /** Team of that token at submission; null = no team. */
    team: text("team"),
    /** 1-based step that failed (its run did not end done, or admission refused it); 0 = none. */
    failedStep: integer("failed_step").notNull().default(0),
    error: text("error").notNull().default(""),
    verdict: text("verdict").notNull().default(""),
    rounds: integer("rounds").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    receiptId: text("receipt_id").notNull().default(""),
    /** Coordinator replica that schedules it now ('' = none yet); see ownerLeaseExpiresAt. */
    owner: text("owner").notNull().default(""),
    /** The owner renews this while it lives; another replica takes the group over once it has passed. */
    ownerLeaseExpiresAt: timestamp("owner_lease_expires_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("chains_created_at_idx").on(t.createdAt.desc()),
    index("chains_team_idx").on(t.team),
    index("chains_user_name_idx").on(t.userName),
    check("chains_status_check", sql`${t.status} in ('running', 'done', 'failed', 'stopped')`),
    check("chains_kind_check", sql`${t.kind} in ('chain', 'refine')`),
  ],
);
