CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"meeting_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"meeting_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"sender_identity" text NOT NULL,
	"sender_name" text NOT NULL,
	"sender_sid" text DEFAULT '' NOT NULL,
	"text" text NOT NULL,
	"to_identity" text,
	"to_name" text,
	"sent_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"edited_at" timestamp (3) with time zone,
	"deleted_at" timestamp (3) with time zone,
	"deleted_by" text
);
--> statement-breakpoint
CREATE TABLE "chat_rooms" (
	"meeting_id" text PRIMARY KEY NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "raised_hands" (
	"meeting_id" text NOT NULL,
	"identity" text NOT NULL,
	"name" text NOT NULL,
	"participant_sid" text DEFAULT '' NOT NULL,
	"raised_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "raised_hands_meeting_id_identity_pk" PRIMARY KEY("meeting_id","identity")
);
--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_meeting_id_chat_rooms_meeting_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."chat_rooms"("meeting_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "audit_events" USING btree ("entity","entity_id");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_messages_meeting_seq_idx" ON "chat_messages" USING btree ("meeting_id","seq");--> statement-breakpoint
CREATE INDEX "chat_messages_private_idx" ON "chat_messages" USING btree ("meeting_id","to_identity");