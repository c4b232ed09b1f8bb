CREATE TABLE "api_tokens" (
	"name" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"team" text,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "api_tokens_role_check" CHECK ("api_tokens"."role" in ('admin', 'member', 'viewer'))
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"name" text PRIMARY KEY NOT NULL,
	"budget_ceiling_usd" numeric(14, 6),
	"max_running" integer,
	"spent_usd" numeric(14, 6) DEFAULT 0 NOT NULL,
	"reserved_usd" numeric(14, 6) DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "teams_amounts_check" CHECK (("teams"."budget_ceiling_usd" is null or "teams"."budget_ceiling_usd" > 0) and "teams"."spent_usd" >= 0 and "teams"."reserved_usd" >= 0),
	CONSTRAINT "teams_max_running_check" CHECK ("teams"."max_running" is null or "teams"."max_running" > 0)
);
--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "user_name" text;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "team" text;--> statement-breakpoint
ALTER TABLE "chains" ADD COLUMN "user_name" text;--> statement-breakpoint
ALTER TABLE "chains" ADD COLUMN "team" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "user_name" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "team" text;--> statement-breakpoint
CREATE INDEX "batches_team_idx" ON "batches" USING btree ("team");--> statement-breakpoint
CREATE INDEX "batches_user_name_idx" ON "batches" USING btree ("user_name");--> statement-breakpoint
CREATE INDEX "chains_team_idx" ON "chains" USING btree ("team");--> statement-breakpoint
CREATE INDEX "chains_user_name_idx" ON "chains" USING btree ("user_name");--> statement-breakpoint
CREATE INDEX "runs_team_idx" ON "runs" USING btree ("team");--> statement-breakpoint
CREATE INDEX "runs_user_name_idx" ON "runs" USING btree ("user_name");