ALTER TABLE "runs" ADD COLUMN "parent_run_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "depth" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "task_hash" text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX "runs_agent_task_idx" ON "runs" USING btree ("agent","task_hash","created_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_depth_check" CHECK ("runs"."depth" >= 0);