CREATE TABLE "ip_blocks" (
	"cidr" text PRIMARY KEY NOT NULL,
	"reason" text,
	"expires_at" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
