CREATE TABLE "keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"owner_id" text NOT NULL,
	"public_key_pem" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked" boolean DEFAULT false NOT NULL,
	CONSTRAINT "keys_role_check" CHECK ("keys"."role" in ('worker', 'coordinator'))
);
--> statement-breakpoint
CREATE INDEX "keys_owner_idx" ON "keys" USING btree ("owner_id");