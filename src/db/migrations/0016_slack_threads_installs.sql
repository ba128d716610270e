CREATE TABLE "slack_installations" (
	"team_id" text PRIMARY KEY NOT NULL,
	"team_name" text,
	"bot_user_id" text,
	"scope" text,
	"bot_token_enc" text NOT NULL,
	"installed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "slack_threads" (
	"team_id" text NOT NULL,
	"channel_id" text NOT NULL,
	"thread_ts" text NOT NULL,
	"access_id" uuid NOT NULL,
	"conversation_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_threads_team_id_channel_id_thread_ts_access_id_pk" PRIMARY KEY("team_id","channel_id","thread_ts","access_id")
);
--> statement-breakpoint
ALTER TABLE "slack_bindings" ALTER COLUMN "bot_token_enc" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "slack_threads" ADD CONSTRAINT "slack_threads_access_id_accesses_id_fk" FOREIGN KEY ("access_id") REFERENCES "public"."accesses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slack_threads" ADD CONSTRAINT "slack_threads_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "slack_events_received_idx" ON "slack_events" USING btree ("received_at");