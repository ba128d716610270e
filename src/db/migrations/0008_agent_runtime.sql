CREATE TABLE "run_steps" (
	"run_id" uuid NOT NULL,
	"idx" integer NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"tool_call_id" text,
	"arguments" jsonb,
	"result" jsonb,
	"error" text,
	"duration_ms" integer,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_steps_run_id_idx_pk" PRIMARY KEY("run_id","idx")
);
--> statement-breakpoint
ALTER TABLE "agent_versions" ADD COLUMN "tools" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_versions" ADD COLUMN "mcp_tools" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_versions" ADD COLUMN "max_steps" integer DEFAULT 8 NOT NULL;--> statement-breakpoint
ALTER TABLE "agent_versions" ADD COLUMN "max_run_tokens" integer;--> statement-breakpoint
ALTER TABLE "agent_versions" ADD COLUMN "fallback_provider_id" text;--> statement-breakpoint
ALTER TABLE "run_steps" ADD CONSTRAINT "run_steps_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agent_versions" ADD CONSTRAINT "agent_versions_fallback_provider_id_providers_id_fk" FOREIGN KEY ("fallback_provider_id") REFERENCES "public"."providers"("id") ON DELETE no action ON UPDATE no action;