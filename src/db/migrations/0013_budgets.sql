CREATE TABLE "budget_counters" (
	"access_id" uuid NOT NULL,
	"period" text NOT NULL,
	"in_used" bigint DEFAULT 0 NOT NULL,
	"in_reserved" bigint DEFAULT 0 NOT NULL,
	"out_used" bigint DEFAULT 0 NOT NULL,
	"out_reserved" bigint DEFAULT 0 NOT NULL,
	"cost_used" bigint DEFAULT 0 NOT NULL,
	"cost_reserved" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_counters_access_id_period_pk" PRIMARY KEY("access_id","period")
);
--> statement-breakpoint
CREATE TABLE "budget_reservations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"access_id" uuid NOT NULL,
	"period" text NOT NULL,
	"in_tokens" bigint NOT NULL,
	"out_tokens" bigint NOT NULL,
	"cost_micros" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_prices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider_id" text NOT NULL,
	"model" text NOT NULL,
	"input_micros_per_mtok" bigint NOT NULL,
	"output_micros_per_mtok" bigint NOT NULL,
	"cached_input_micros_per_mtok" bigint,
	"currency" text NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accesses" ADD COLUMN "budget_tokens_in" bigint;--> statement-breakpoint
ALTER TABLE "accesses" ADD COLUMN "budget_tokens_out" bigint;--> statement-breakpoint
ALTER TABLE "accesses" ADD COLUMN "budget_cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cost_micros" bigint;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "currency" text;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "cost_micros" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "currency" text;--> statement-breakpoint
ALTER TABLE "budget_counters" ADD CONSTRAINT "budget_counters_access_id_accesses_id_fk" FOREIGN KEY ("access_id") REFERENCES "public"."accesses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_reservations" ADD CONSTRAINT "budget_reservations_access_id_accesses_id_fk" FOREIGN KEY ("access_id") REFERENCES "public"."accesses"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "budget_reservations_access_idx" ON "budget_reservations" USING btree ("access_id","period","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "model_prices_model_from_uq" ON "model_prices" USING btree ("provider_id","model","valid_from");