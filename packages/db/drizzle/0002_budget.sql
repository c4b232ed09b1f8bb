CREATE TABLE "budget" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"ceiling_usd" numeric(14, 6) NOT NULL,
	"spent_usd" numeric(14, 6) DEFAULT 0 NOT NULL,
	"reserved_usd" numeric(14, 6) DEFAULT 0 NOT NULL,
	CONSTRAINT "budget_single_row_check" CHECK ("budget"."id" = 1),
	CONSTRAINT "budget_amounts_check" CHECK ("budget"."ceiling_usd" > 0 and "budget"."spent_usd" >= 0 and "budget"."reserved_usd" >= 0)
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "reserved_usd" numeric(12, 6) DEFAULT 0 NOT NULL;