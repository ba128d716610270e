CREATE TABLE "slack_bindings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"team_id" text NOT NULL,
	"channel_id" text DEFAULT '' NOT NULL,
	"access_id" uuid NOT NULL,
	"bot_token_enc" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"team_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "channel" text DEFAULT 'api' NOT NULL;--> statement-breakpoint
ALTER TABLE "slack_bindings" ADD CONSTRAINT "slack_bindings_access_id_accesses_id_fk" FOREIGN KEY ("access_id") REFERENCES "public"."accesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "slack_bindings_team_channel_uq" ON "slack_bindings" USING btree ("team_id","channel_id");--> statement-breakpoint
UPDATE "usage_records" SET "channel" = "runs"."channel" FROM "runs" WHERE "runs"."id" = "usage_records"."run_id";