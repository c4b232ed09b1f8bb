CREATE TABLE "worker_identities" (
	"worker_id" text PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"session_hash" text DEFAULT '' NOT NULL,
	"bound_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "worker_identities_key_idx" ON "worker_identities" USING btree ("key_id");