ALTER TABLE "offering_plans" ADD COLUMN "budgets" jsonb;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cached_input_tokens" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_alert_webhook_url" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_alert_webhook_secret_enc" text;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "cached_input_tokens" integer DEFAULT 0 NOT NULL;