import type { PatchFile, RunStatus } from "@pancode/core";
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type { StoredRunSpec } from "../rows.js";

/**
 * One row per submitted run. The coordinator is the only writer of `status`; every status change is a conditional
 * UPDATE (see src/queries/leases.ts), so a stale attempt can never overwrite a newer one.
 */
export const runs = pgTable(
  "runs",
  {
    /** Run id (uuid v7: time ordered, so it doubles as a tie-breaker for `created_at`). */
    id: text("id").primaryKey(),
    /** RunStatus. pending -> running -> one terminal status; running -> pending only on a lost lease (requeue). */
    status: text("status").$type<RunStatus>().notNull().default("pending"),
    agent: text("agent").notNull(),
    model: text("model").notNull().default(""),
    task: text("task").notNull(),
    isolate: boolean("isolate").notNull().default(false),
    pool: text("pool").notNull().default(""),
    repoId: text("repo_id").notNull(),
    baseCommit: text("base_commit").notNull(),
    bundleDigest: text("bundle_digest").notNull().default(""),
    stateDigest: text("state_digest").notNull().default(""),
    stateTree: text("state_tree").notNull(),
    /** Worker of the current attempt; '' until the first claim and again after a requeue. */
    workerId: text("worker_id").notNull().default(""),
    /** 0 until the first claim; every claim increments it, so the highest attempt is the only live one. */
    attempt: integer("attempt").notNull().default(0),
    /** Secret of the current attempt; a worker must present it with `attempt`. Cleared when the run ends. */
    leaseToken: text("lease_token").notNull().default(""),
    /** Set only while status = 'running'; past this instant the reaper may requeue or end the run. */
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }),
    /** Exit code of the agent process; null until the run ends (and when it never started). */
    exitCode: integer("exit_code"),
    error: text("error").notNull().default(""),
    /** Last few KiB of the agent output, for `pancode status` without reading the event log. */
    outputTail: text("output_tail").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    /** Time of the first claim; later claims (redeliveries) keep it. */
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    /** Set exactly when status becomes terminal. */
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /** Spent model cost in USD; numeric so that sums over many runs stay exact. */
    costUsd: numeric("cost_usd", { precision: 12, scale: 6, mode: "number" }).notNull().default(0),
    /** Budget reserved at admission (the estimate); moved to the budget's spent at the terminal transition, then 0. */
    reservedUsd: numeric("reserved_usd", { precision: 12, scale: 6, mode: "number" }).notNull().default(0),
    /** Digest of the result patch in the blob store; '' when the run produced no patch (an empty patch has a digest). */
    patchDigest: text("patch_digest").notNull().default(""),
    patchBytes: bigint("patch_bytes", { mode: "number" }).notNull().default(0),
    patchFiles: jsonb("patch_files").$type<PatchFile[]>().notNull().default([]),
    /** Id of the run's receipt; '' until the receipt row exists (set in the same tx as the receipts insert). */
    receiptId: text("receipt_id").notNull().default(""),
    /** JetStream sequence of the task message; null until published. */
    busSeq: bigint("bus_seq", { mode: "number" }),
    /**
     * When JetStream confirmed the run's current task message. Null while the run is the publisher's to (re)publish
     * (transactional outbox): just admitted, held by the publish gate, or its message was found gone.
     */
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }),
    /** Confirmed publishes so far; the next one's generation (its Nats-Msg-Id is runId:attempt:generation). */
    publishCount: integer("publish_count").notNull().default(0),
    /**
     * Since when the run has had no live message while the publish gate allowed one; the reconciler ends it `error`
     * past PANCODE_UNDELIVERABLE_AFTER_MS. Null once published.
     */
    unpublishedSince: timestamp("unpublished_since", { withTimezone: true, mode: "date" }).defaultNow(),
    submitter: text("submitter").notNull().default(""),
    /** Authenticated name of the token that submitted it (sub-runs: the parent's); null before teams existed. */
    userName: text("user_name"),
    /** Team of that token at submission; null = no team. */
    team: text("team"),
    /** The resolved agent and whatever else the coordinator needs to rebuild the RunSpec for every attempt. */
    spec: jsonb("spec").$type<StoredRunSpec>().notNull(),
    /** W3C traceparent of the submit call, so worker spans join the submitter's trace. */
    traceparent: text("traceparent").notNull().default(""),
    /** Highest run_events.seq of this run; bumped in the same tx as the event insert (the per-run row lock orders seqs). */
    eventSeq: integer("event_seq").notNull().default(0),
    /** Model input tokens the run used, as its worker reported at completion (0 when the runtime reports none). */
    inputTokens: bigint("input_tokens", { mode: "number" }).notNull().default(0),
    /** Model output tokens the run used. */
    outputTokens: bigint("output_tokens", { mode: "number" }).notNull().default(0),
    /** Run that dispatched this one with its run token; '' for runs submitted by clients. */
    parentRunId: text("parent_run_id").notNull().default(""),
    /** Nesting depth, derived by the coordinator from the parent (parent.depth + 1); 0 for client submissions. */
    depth: integer("depth").notNull().default(0),
    /** sha256 of the task text, so loop detection finds the same agent failing on the same task by index. */
    taskHash: text("task_hash").notNull().default(""),
    /** Batch this run is an item of; null for plain dispatches. */
    batchId: text("batch_id"),
    /** Chain this run is a step of; null for plain dispatches. */
    chainId: text("chain_id"),
    /** 1-based item (batch) or step (chain) number; 0 for plain dispatches. Unique per batch and per chain. */
    step: integer("step").notNull().default(0),
  },
  (t) => [
    index("runs_status_idx").on(t.status),
    index("runs_created_at_idx").on(t.createdAt.desc()),
    index("runs_team_idx").on(t.team),
    index("runs_user_name_idx").on(t.userName),
    // text_pattern_ops lets `id LIKE 'abc%'` (short ids typed by users) use an index under any collation.
    index("runs_id_prefix_idx").using("btree", t.id.op("text_pattern_ops")),
    // Partial index for the reaper: only running rows carry a lease.
    // Loop detection: the recent runs of one agent on one task.
    index("runs_agent_task_idx").on(t.agent, t.taskHash, t.createdAt.desc()),
    index("runs_lease_expires_idx").on(t.leaseExpiresAt).where(sql`${t.status} = 'running'`),
    // The reconciler's scan: pending runs in admission order.
    index("runs_pending_idx").on(t.createdAt, t.id).where(sql`${t.status} = 'pending'`),
    check(
      "runs_status_check",
      sql`${t.status} in ('pending', 'running', 'done', 'error', 'timeout', 'interrupted', 'budget_exceeded')`,
    ),
    check("runs_attempt_check", sql`${t.attempt} >= 0`),
    check("runs_depth_check", sql`${t.depth} >= 0`),
    // At most one run per batch item and chain step, even if two schedulers raced.
    uniqueIndex("runs_batch_step_idx").on(t.batchId, t.step).where(sql`${t.batchId} is not null`),
    uniqueIndex("runs_chain_step_idx").on(t.chainId, t.step).where(sql`${t.chainId} is not null`),
    // A running row always carries a lease, so the reaper can find every lost run.
    check("runs_running_lease_check", sql`${t.status} <> 'running' or ${t.leaseExpiresAt} is not null`),
  ],
);
