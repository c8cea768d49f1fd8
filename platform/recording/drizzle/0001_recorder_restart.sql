ALTER TABLE "recordings" ADD COLUMN "recorder_id" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "recordings" ADD COLUMN "interrupted" boolean DEFAULT false NOT NULL;