// Fuzz target of the public signaling protocol: whatever text a WebSocket frame carries, the decoder
// answers with a value or an error and never throws. `npm run fuzz` runs it for a time budget;
// test/fuzz.test.ts runs it with a fixed seed.
import fc from 'fast-check';
import { decodeSignalRequest } from '../../src/json.js';

export interface FuzzTarget {
  name: string;
  property: fc.IRawProperty<unknown[]>;
}

/** The message kinds of SignalRequest (JSON names), so generated objects reach the field decoders. */
const KINDS = [
  'join',
  'publishOffer',
  'subscriberAnswer',
  'trickle',
  'addTrack',
  'muteTrack',
  'updateSubscription',
  'updateTrackSettings',
  'iceRestart',
  'leave',
  'ping',
  'muteParticipant',
  'removeParticipant',
  'endRoom',
] as const;

/** Field names and values the messages use, mixed with junk, nested a few levels. */
const fieldName = fc.oneof(
  fc.constantFrom(
    'token',
    'sdp',
    'target',
    'candidate',
    'sdpMid',
    'sdpMLineIndex',
    'cid',
    'kind',
    'source',
    'layers',
    'rid',
    'quality',
    'width',
    'height',
    'muted',
    'trackSids',
    'subscribe',
    'identity',
    'reason',
    'resume',
    'sessionId',
    'resumeSecret',
    'timestamp',
    'simulcast',
    'disabled',
    'fps',
    'trackSid',
    'requestId',
  ),
  fc.string({ maxLength: 12 }),
);
const leaf = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '1e400',
    '-0',
    'NaN',
    '9007199254740993',
    'TRACK_KIND_VIDEO',
    'VIDEO_QUALITY_HIGH',
    '\u0000',
  ),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fieldName, tie('value'), { maxKeys: 5 }),
  ),
}));

const request = fc
  .record({
    requestId: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
    kinds: fc.subarray([...KINDS], { minLength: 0, maxLength: 2 }),
    bodies: fc.array(fc.dictionary(fieldName, value, { maxKeys: 6 }), { minLength: 2, maxLength: 2 }),
  })
  .map((r) =>
    JSON.stringify({
      requestId: r.requestId,
      ...Object.fromEntries(r.kinds.map((k, i) => [k, r.bodies[i]])),
    }),
  );

const signalRequest: FuzzTarget = {
  name: 'signal-request',
  property: fc.property(fc.oneof(request, fc.json(), fc.string({ maxLength: 300 })), (text) => {
    const result = decodeSignalRequest(text);
    if (result.ok) {
      if (!KINDS.includes(result.value.message.$case as (typeof KINDS)[number]))
        throw new Error(`decoded an unknown kind ${result.value.message.$case}`);
    } else if (typeof result.error !== 'string' || result.error.length === 0) {
      throw new Error('a refusal must say why');
    }
  }),
};

export const PROTOCOL_TARGETS: readonly FuzzTarget[] = [signalRequest];
