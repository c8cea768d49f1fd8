CREATE TABLE "read_markers" (
	"meeting_id" text NOT NULL,
	"identity" text NOT NULL,
	"last_read_seq" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "read_markers_meeting_id_identity_pk" PRIMARY KEY("meeting_id","identity")
);
