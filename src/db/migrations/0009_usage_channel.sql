ALTER TABLE "usage_records" ADD COLUMN "channel" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
UPDATE "usage_records" SET "channel" = "runs"."channel" FROM "runs" WHERE "runs"."id" = "usage_records"."run_id";
