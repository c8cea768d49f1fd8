// Messages between signaling nodes about one room (bus channel `signal:room:<name>`), and the participant
// entries of the shared store. Both come from another process (possibly another version of this code),
// so both are validated before use, like the room commands from control.
import {
  DisconnectReason,
  ParticipantState,
  RoomEndReason,
  TrackKind,
  TrackSource,
  VideoQuality,
  type ParticipantInfo,
  type TrackInfo,
} from '@origo/proto/signal';
import { z } from 'zod';
import { chatEventSchemas } from './chatEvents.js';

const id = z.string().min(1).max(256);
const count = z.number().int().min(0).max(1_000_000);
const enumValue = <T extends Record<string, string | number>>(e: T) =>
  z
    .number()
    .int()
    .refine((v) => Object.values(e).includes(v), 'unknown enum value') as unknown as z.ZodType<T[keyof T]>;

const videoLayerSchema = z.object({
  rid: z.string().max(16),
  quality: enumValue(VideoQuality),
  maxWidth: count,
  maxHeight: count,
  maxBitrate: z.number().int().min(0),
});

export const trackInfoSchema: z.ZodType<TrackInfo> = z.object({
  sid: id,
  participantSid: id,
  kind: enumValue(TrackKind),
  source: enumValue(TrackSource),
  muted: z.boolean(),
  width: count,
  height: count,
  layers: z.array(videoLayerSchema).max(3),
  mimeType: z.string().max(64),
});

export const participantInfoSchema: z.ZodType<ParticipantInfo> = z.object({
  sid: id,
  identity: id,
  name: z.string().max(256),
  state: enumValue(ParticipantState),
  tracks: z.array(trackInfoSchema).max(64),
  permission: z
    .object({
      canPublish: z.boolean(),
      canSubscribe: z.boolean(),
      canPublishSources: z.array(enumValue(TrackSource)).max(8),
      canModerate: z.boolean(),
    })
    .optional(),
  joinedAt: z.number().int(),
  isHost: z.boolean(),
  // Absent in events of nodes older than the field (a rolling upgrade).
  away: z.boolean().default(false),
});

export const roomEventSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('joined'), participant: participantInfoSchema }),
  z.object({ t: z.literal('left'), sid: id, reason: enumValue(DisconnectReason) }),
  z.object({ t: z.literal('updated'), participant: participantInfoSchema }),
  z.object({
    t: z.literal('tracks'),
    from: id,
    updated: z.array(trackInfoSchema).max(64),
    removed: z.array(id).max(64),
  }),
  z.object({ t: z.literal('ended'), reason: enumValue(RoomEndReason) }),
  z.object({
    t: z.literal('timeLimit'),
    endsAtMs: z.number().int(),
    limitMinutes: z.number().int().min(1).max(100_000),
    planName: z.string().max(256),
  }),
  z.object({ t: z.literal('recording'), recording: z.boolean(), recordingId: z.string().max(128) }),
  z.object({ t: z.literal('mute'), target: id, trackSid: z.string().max(256), by: z.string().max(256) }),
  z.object({ t: z.literal('remove'), target: id, reason: enumValue(DisconnectReason) }),
  ...chatEventSchemas,
]);
export type RoomEvent = z.infer<typeof roomEventSchema>;

/** Bus channel of one room. */
export const roomChannel = (room: string): string => `signal:room:${room}`;
