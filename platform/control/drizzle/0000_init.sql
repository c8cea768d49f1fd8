CREATE TYPE "public"."invitation_status" AS ENUM('pending', 'revoked');--> statement-breakpoint
CREATE TYPE "public"."lobby_status" AS ENUM('waiting', 'admitted', 'denied');--> statement-breakpoint
CREATE TYPE "public"."meeting_kind" AS ENUM('instant', 'scheduled');--> statement-breakpoint
CREATE TYPE "public"."meeting_state" AS ENUM('scheduled', 'live', 'ended', 'cancelled');--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"entity_id" text NOT NULL,
	"org_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"operation" text NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer NOT NULL,
	"response" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "invitations" (
	"id" text PRIMARY KEY NOT NULL,
	"meeting_id" text NOT NULL,
	"org_id" text NOT NULL,
	"email" text NOT NULL,
	"token_hash" text NOT NULL,
	"status" "invitation_status" DEFAULT 'pending' NOT NULL,
	"sent_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lobby_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"meeting_id" text NOT NULL,
	"org_id" text NOT NULL,
	"ticket_hash" text NOT NULL,
	"identity" text NOT NULL,
	"display_name" text NOT NULL,
	"status" "lobby_status" DEFAULT 'waiting' NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"kind" "meeting_kind" NOT NULL,
	"state" "meeting_state" NOT NULL,
	"host_id" text NOT NULL,
	"starts_at" timestamp (3) with time zone,
	"duration_minutes" integer NOT NULL,
	"time_zone" text NOT NULL,
	"rrule" text,
	"passcode_hash" text,
	"lobby_enabled" boolean DEFAULT false NOT NULL,
	"join_before_host" boolean DEFAULT true NOT NULL,
	"participant_cap" integer NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"participant_count" integer DEFAULT 0 NOT NULL,
	"room_sid" text,
	"started_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"cancelled_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "room_events" (
	"event_id" text PRIMARY KEY NOT NULL,
	"meeting_id" text NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"received_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "invitations" ADD CONSTRAINT "invitations_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lobby_entries" ADD CONSTRAINT "lobby_entries_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_org_idx" ON "audit_events" USING btree ("org_id","id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_token_idx" ON "invitations" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "invitations_meeting_email_idx" ON "invitations" USING btree ("meeting_id","email");--> statement-breakpoint
CREATE UNIQUE INDEX "lobby_entries_ticket_idx" ON "lobby_entries" USING btree ("ticket_hash");--> statement-breakpoint
CREATE INDEX "lobby_entries_meeting_idx" ON "lobby_entries" USING btree ("meeting_id","status");--> statement-breakpoint
CREATE INDEX "meetings_org_created_idx" ON "meetings" USING btree ("org_id","created_at","id");