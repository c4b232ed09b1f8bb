CREATE TABLE "blobs" (
	"digest" text PRIMARY KEY NOT NULL,
	"bytes" bigint NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "receipts_run_id_unique" UNIQUE("run_id")
);
--> statement-breakpoint
CREATE TABLE "repo_commits" (
	"repo_id" text NOT NULL,
	"commit" text NOT NULL,
	"bundle_digest" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "repo_commits_repo_id_commit_pk" PRIMARY KEY("repo_id","commit")
);
--> statement-breakpoint
CREATE TABLE "run_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"attempt" integer NOT NULL,
	"seq" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"text" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"agent" text NOT NULL,
	"model" text DEFAULT '' NOT NULL,
	"task" text NOT NULL,
	"isolate" boolean DEFAULT false NOT NULL,
	"pool" text DEFAULT '' NOT NULL,
	"repo_id" text NOT NULL,
	"base_commit" text NOT NULL,
	"bundle_digest" text DEFAULT '' NOT NULL,
	"state_digest" text DEFAULT '' NOT NULL,
	"state_tree" text NOT NULL,
	"worker_id" text DEFAULT '' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"lease_token" text DEFAULT '' NOT NULL,
	"lease_expires_at" timestamp with time zone,
	"exit_code" integer,
	"error" text DEFAULT '' NOT NULL,
	"output_tail" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"cost_usd" numeric(12, 6) DEFAULT 0 NOT NULL,
	"patch_digest" text DEFAULT '' NOT NULL,
	"patch_bytes" bigint DEFAULT 0 NOT NULL,
	"patch_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"receipt_id" text DEFAULT '' NOT NULL,
	"bus_seq" bigint,
	"submitter" text DEFAULT '' NOT NULL,
	"spec" jsonb NOT NULL,
	"traceparent" text DEFAULT '' NOT NULL,
	"event_seq" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "runs_status_check" CHECK ("runs"."status" in ('pending', 'running', 'done', 'error', 'timeout', 'interrupted', 'budget_exceeded')),
	CONSTRAINT "runs_attempt_check" CHECK ("runs"."attempt" >= 0),
	CONSTRAINT "runs_running_lease_check" CHECK ("runs"."status" <> 'running' or "runs"."lease_expires_at" is not null)
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" text PRIMARY KEY NOT NULL,
	"pool" text DEFAULT '' NOT NULL,
	"sandbox" text NOT NULL,
	"capacity" integer NOT NULL,
	"active" integer DEFAULT 0 NOT NULL,
	"version" text DEFAULT '' NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'up' NOT NULL,
	CONSTRAINT "workers_sandbox_check" CHECK ("workers"."sandbox" in ('docker', 'process')),
	CONSTRAINT "workers_status_check" CHECK ("workers"."status" in ('up', 'gone')),
	CONSTRAINT "workers_counts_check" CHECK ("workers"."capacity" >= 0 and "workers"."active" >= 0)
);
--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "run_events_run_seq_idx" ON "run_events" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_created_at_idx" ON "runs" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "runs_id_prefix_idx" ON "runs" USING btree ("id" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "runs_lease_expires_idx" ON "runs" USING btree ("lease_expires_at") WHERE "runs"."status" = 'running';