ALTER TABLE "metered_events" ADD COLUMN "bytes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "room_day_usage" ADD COLUMN "egress_bytes" bigint DEFAULT 0 NOT NULL;