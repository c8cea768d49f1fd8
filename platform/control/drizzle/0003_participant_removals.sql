CREATE TABLE "participant_removals" (
	"meeting_id" text NOT NULL,
	"org_id" text NOT NULL,
	"identity" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "participant_removals_meeting_id_identity_pk" PRIMARY KEY("meeting_id","identity")
);
--> statement-breakpoint
ALTER TABLE "participant_removals" ADD CONSTRAINT "participant_removals_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;