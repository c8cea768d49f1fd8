CREATE TABLE "notification_relay" (
	"id" text PRIMARY KEY NOT NULL,
	"rpc" text NOT NULL,
	"payload" jsonb NOT NULL,
	"ref" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"last_error" text,
	"relayed_at" timestamp (3) with time zone,
	"failed_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retention_policies" (
	"org_id" text PRIMARY KEY NOT NULL,
	"days" integer NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "recorder_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "org_id" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "host_id" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "meeting_title" text;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "interrupted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "hls_files" jsonb;--> statement-breakpoint
CREATE INDEX "notification_relay_due_idx" ON "notification_relay" USING btree ("next_attempt_at") WHERE relayed_at is null and failed_at is null;