CREATE TABLE "blob_chunks" (
	"upload_id" text NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "blob_chunks_upload_id_seq_pk" PRIMARY KEY("upload_id","seq")
);
--> statement-breakpoint
CREATE TABLE "blob_contents" (
	"digest" text PRIMARY KEY NOT NULL,
	"upload_id" text NOT NULL,
	"bytes" bigint NOT NULL,
	"chunks" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cluster_flags" (
	"name" text PRIMARY KEY NOT NULL,
	"set_by" text DEFAULT '' NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "owner" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "owner_lease_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "chains" ADD COLUMN "owner" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "chains" ADD COLUMN "owner_lease_expires_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "blob_chunks_created_at_idx" ON "blob_chunks" USING btree ("created_at");