CREATE TABLE "budget_alerts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"threshold" integer NOT NULL,
	"limit_name" text NOT NULL,
	"used" text NOT NULL,
	"max" text NOT NULL,
	"delivery_status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_budget_counters" (
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"in_used" bigint DEFAULT 0 NOT NULL,
	"in_reserved" bigint DEFAULT 0 NOT NULL,
	"out_used" bigint DEFAULT 0 NOT NULL,
	"out_reserved" bigint DEFAULT 0 NOT NULL,
	"cost_used" bigint DEFAULT 0 NOT NULL,
	"cost_reserved" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenant_budget_counters_tenant_id_period_pk" PRIMARY KEY("tenant_id","period")
);
--> statement-breakpoint
CREATE TABLE "tenant_budget_reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"period" text NOT NULL,
	"in_tokens" bigint NOT NULL,
	"out_tokens" bigint NOT NULL,
	"cost_micros" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accesses" ADD COLUMN "budget_mode" text DEFAULT 'refuse' NOT NULL;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_tokens_in" bigint;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_tokens_out" bigint;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "budget_cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_budget_counters" ADD CONSTRAINT "tenant_budget_counters_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_budget_reservations" ADD CONSTRAINT "tenant_budget_reservations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "budget_alerts_once_uq" ON "budget_alerts" USING btree ("tenant_id","period","threshold","limit_name");--> statement-breakpoint
CREATE INDEX "budget_alerts_pending_idx" ON "budget_alerts" USING btree ("delivery_status","created_at");--> statement-breakpoint
CREATE INDEX "tenant_budget_reservations_tenant_idx" ON "tenant_budget_reservations" USING btree ("tenant_id","period","expires_at");