ALTER TABLE "runs" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "publish_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "unpublished_since" timestamp with time zone DEFAULT now();--> statement-breakpoint
CREATE INDEX "runs_pending_idx" ON "runs" USING btree ("created_at","id") WHERE "runs"."status" = 'pending';--> statement-breakpoint
-- Runs published before this migration: their message was confirmed (bus_seq set), so they are not the reconciler's
-- to publish again unless it finds the message gone.
UPDATE "runs" SET "published_at" = "created_at", "publish_count" = 1, "unpublished_since" = NULL WHERE "bus_seq" IS NOT NULL;
