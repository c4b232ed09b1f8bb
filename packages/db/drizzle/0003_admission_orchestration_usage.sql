CREATE TABLE "audit_log" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"category" text NOT NULL,
	"action" text NOT NULL,
	"run_id" text,
	"actor" text DEFAULT '' NOT NULL,
	"gate" text DEFAULT '' NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_log_seq_check" CHECK ("audit_log"."seq" > 0)
);
--> statement-breakpoint
CREATE TABLE "batches" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"items" jsonb NOT NULL,
	"concurrency" integer NOT NULL,
	"stagger_ms" integer NOT NULL,
	"request" jsonb NOT NULL,
	"submitter" text DEFAULT '' NOT NULL,
	"error" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"receipt_id" text DEFAULT '' NOT NULL,
	CONSTRAINT "batches_status_check" CHECK ("batches"."status" in ('running', 'done', 'failed', 'stopped')),
	CONSTRAINT "batches_concurrency_check" CHECK ("batches"."concurrency" > 0 and "batches"."stagger_ms" >= 0)
);
--> statement-breakpoint
CREATE TABLE "chains" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"steps" jsonb NOT NULL,
	"original_task" text NOT NULL,
	"refine" jsonb,
	"request" jsonb NOT NULL,
	"submitter" text DEFAULT '' NOT NULL,
	"failed_step" integer DEFAULT 0 NOT NULL,
	"error" text DEFAULT '' NOT NULL,
	"verdict" text DEFAULT '' NOT NULL,
	"rounds" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"receipt_id" text DEFAULT '' NOT NULL,
	CONSTRAINT "chains_status_check" CHECK ("chains"."status" in ('running', 'done', 'failed', 'stopped')),
	CONSTRAINT "chains_kind_check" CHECK ("chains"."kind" in ('chain', 'refine'))
);
--> statement-breakpoint
CREATE TABLE "group_receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"group_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_receipts_group_id_unique" UNIQUE("group_id")
);
--> statement-breakpoint
CREATE TABLE "run_usage" (
	"run_id" text PRIMARY KEY NOT NULL,
	"attempt" integer NOT NULL,
	"turns" integer DEFAULT 0 NOT NULL,
	"current_tool" text DEFAULT '' NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_read_tokens" bigint DEFAULT 0 NOT NULL,
	"cache_write_tokens" bigint DEFAULT 0 NOT NULL,
	"cost_usd" numeric(12, 6),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "input_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "output_tokens" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "parent_run_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "task_hash" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "batch_id" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "chain_id" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "step" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "run_usage" ADD CONSTRAINT "run_usage_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_category_idx" ON "audit_log" USING btree ("category","seq");--> statement-breakpoint
CREATE INDEX "audit_log_run_idx" ON "audit_log" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "batches_created_at_idx" ON "batches" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "chains_created_at_idx" ON "chains" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_agent_task_idx" ON "runs" USING btree ("agent","task_hash","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "runs_batch_step_idx" ON "runs" USING btree ("batch_id","step") WHERE "runs"."batch_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "runs_chain_step_idx" ON "runs" USING btree ("chain_id","step") WHERE "runs"."chain_id" is not null;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_depth_check" CHECK ("runs"."depth" >= 0);