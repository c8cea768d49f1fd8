CREATE TABLE "metered_recording_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"recording_id" text NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"duration_ms" bigint DEFAULT 0 NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metered_recordings" (
	"recording_id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"meeting_id" text NOT NULL,
	"started_at" timestamp (3) with time zone,
	"recorded_ms" bigint DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"stored_at" timestamp (3) with time zone,
	"deleted_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "recording_day_usage" (
	"recording_id" text NOT NULL,
	"org_id" text NOT NULL,
	"day" text NOT NULL,
	"recording_ms" bigint NOT NULL,
	CONSTRAINT "recording_day_usage_recording_id_day_pk" PRIMARY KEY("recording_id","day")
);
--> statement-breakpoint
CREATE INDEX "metered_recording_events_recording_idx" ON "metered_recording_events" USING btree ("recording_id");--> statement-breakpoint
CREATE INDEX "metered_recordings_org_idx" ON "metered_recordings" USING btree ("org_id","stored_at");--> statement-breakpoint
CREATE INDEX "recording_day_usage_org_day_idx" ON "recording_day_usage" USING btree ("org_id","day");