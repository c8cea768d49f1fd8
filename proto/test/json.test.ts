import { describe, expect, it } from 'vitest';
import { decodeSignalRequest, encodeSignalResponse, MAX_SIGNAL_MESSAGE_BYTES } from '../src/json.js';
import {
  ErrorCode,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrackKind,
  TrackSource,
  VideoQuality,
} from '../src/signal.js';

function decodeOk(text: string) {
  const res = decodeSignalRequest(text);
  if (!res.ok) throw new Error(`expected ok, got: ${res.error}`);
  return res.value;
}

function decodeErr(text: string) {
  const res = decodeSignalRequest(text);
  if (res.ok) throw new Error(`expected an error, got ${JSON.stringify(res.value)}`);
  return res;
}

describe('SignalRequest JSON', () => {
  it('round-trips an add_track request through toJSON and decodeSignalRequest', () => {
    const req: SignalRequest = {
      requestId: 'r1',
      message: {
        $case: 'addTrack',
        value: {
          cid: 'cam-1',
          kind: TrackKind.TRACK_KIND_VIDEO,
          source: TrackSource.TRACK_SOURCE_CAMERA,
          width: 1280,
          height: 720,
          layers: [
            {
              rid: 'q',
              quality: VideoQuality.VIDEO_QUALITY_LOW,
              maxWidth: 320,
              maxHeight: 180,
              maxBitrate: 150_000,
            },
            {
              rid: 'f',
              quality: VideoQuality.VIDEO_QUALITY_HIGH,
              maxWidth: 1280,
              maxHeight: 720,
              maxBitrate: 1_700_000,
            },
          ],
          muted: false,
        },
      },
    };
    const text = JSON.stringify(SignalRequest.toJSON(req));
    expect(JSON.parse(text)).toMatchObject({ requestId: 'r1', addTrack: { kind: 'TRACK_KIND_VIDEO' } });
    expect(decodeOk(text)).toEqual(req);
  });

  it('decodes trickle with optional fields and int64 given as string or number', () => {
    const trickle = decodeOk(
      '{"requestId":"2","trickle":{"target":"SIGNAL_TARGET_SUBSCRIBER","candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMlineIndex":0}}',
    );
    expect(trickle.message).toEqual({
      $case: 'trickle',
      value: {
        target: SignalTarget.SIGNAL_TARGET_SUBSCRIBER,
        candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host',
        sdpMid: '0',
        sdpMlineIndex: 0,
      },
    });
    expect(decodeOk('{"ping":{"timestampMs":"1700000000000"}}').message).toEqual({
      $case: 'ping',
      value: { timestampMs: 1_700_000_000_000 },
    });
    expect(decodeOk('{"ping":{"timestampMs":1700000000000}}').message).toEqual({
      $case: 'ping',
      value: { timestampMs: 1_700_000_000_000 },
    });
  });

  it('accepts the original snake_case field names, as proto3 JSON requires', () => {
    expect(
      decodeOk('{"request_id":"3","update_subscription":{"track_sids":["TR_a"],"subscribe":true}}'),
    ).toEqual({
      requestId: '3',
      message: { $case: 'updateSubscription', value: { trackSids: ['TR_a'], subscribe: true } },
    });
  });

  it('rejects invalid JSON and non-objects', () => {
    expect(decodeErr('{"join":').error).toMatch(/invalid JSON/);
    for (const text of ['null', '[]', '"join"', '42', 'true']) {
      expect(decodeErr(text).error).toBe('message must be a JSON object');
    }
    expect(decodeErr('{').code).toBe(ErrorCode.ERROR_CODE_INVALID_REQUEST);
  });

  it('rejects unknown message kinds, a missing kind and two kinds at once', () => {
    expect(decodeErr('{"requestId":"1","teleport":{}}').error).toMatch(/"teleport" is unknown/);
    expect(decodeErr('{"requestId":"1"}').error).toMatch(/message kind missing/);
    expect(decodeErr('{"join":{"token":"t"},"ping":{}}').error).toMatch(/oneof set multiple times/);
    expect(decodeErr('{"join":{"token":"t","extra":1}}').error).toMatch(/"extra" is unknown/);
  });

  it('rejects wrong field types that ts-proto fromJSON would coerce', () => {
    // The lenient path turns 5 into "5"; the strict decoder must not.
    expect(SignalRequest.fromJSON({ join: { token: 5 } }).message).toEqual({
      $case: 'join',
      value: { token: '5' },
    });
    expect(decodeErr('{"join":{"token":5}}').error).toMatch(/JoinRequest.token.*expected string/);
    expect(decodeErr('{"requestId":7,"leave":{}}').error).toMatch(/request_id.*expected string/);
    expect(decodeErr('{"muteTrack":{"trackSid":"TR_a","muted":"yes"}}').error).toMatch(/expected bool/);
    expect(decodeErr('{"updateSubscription":{"trackSids":"TR_a"}}').error).toMatch(/track_sids/);
    expect(decodeErr('{"addTrack":{"width":-1}}').error).toMatch(/width/);
    expect(decodeErr('{"ping":{"timestampMs":1.5}}').error).toMatch(/timestamp_ms/);
    expect(decodeErr('{"join":"token"}').error).toMatch(/JoinRequest/);
  });

  it('rejects enum values that are not defined, by name or by number', () => {
    expect(decodeErr('{"addTrack":{"kind":"TRACK_KIND_HOLOGRAM"}}').error).toMatch(/TrackKind/);
    expect(decodeErr('{"addTrack":{"kind":9}}').error).toBe(
      'addTrack.kind: 9 is not a value of origo.media.v1.TrackKind',
    );
    expect(
      decodeErr('{"addTrack":{"layers":[{"rid":"q","quality":"VIDEO_QUALITY_LOW"},{"rid":"f","quality":7}]}}')
        .error,
    ).toBe('addTrack.layers[1].quality: 7 is not a value of origo.media.v1.VideoQuality');
    expect(decodeOk('{"addTrack":{"kind":1}}').message).toMatchObject({
      value: { kind: TrackKind.TRACK_KIND_AUDIO },
    });
  });

  it('rejects int64 values a JS number cannot hold exactly', () => {
    expect(decodeErr('{"ping":{"timestampMs":"9007199254740993"}}').error).toMatch(/MAX_SAFE_INTEGER/);
  });

  it('rejects messages over the size limit with MESSAGE_TOO_LARGE', () => {
    const big = JSON.stringify({ publishOffer: { sdp: 'a'.repeat(MAX_SIGNAL_MESSAGE_BYTES) } });
    const res = decodeErr(big);
    expect(res.code).toBe(ErrorCode.ERROR_CODE_MESSAGE_TOO_LARGE);
    // Multi-byte characters count in UTF-8 bytes, not UTF-16 units.
    const euro = JSON.stringify({ publishOffer: { sdp: '\u20ac'.repeat(30_000) } });
    expect(euro.length).toBeLessThan(MAX_SIGNAL_MESSAGE_BYTES);
    expect(decodeErr(euro).code).toBe(ErrorCode.ERROR_CODE_MESSAGE_TOO_LARGE);
    expect(decodeSignalRequest(euro, { maxBytes: 128 * 1024 }).ok).toBe(true);
  });
});

describe('SignalResponse JSON', () => {
  it('encodes a join response and reads it back with fromJSON', () => {
    const res: SignalResponse = {
      requestId: 'r1',
      message: {
        $case: 'joinResponse',
        value: {
          room: { sid: 'RM_1', name: 'standup', createdAt: 1_700_000_000_000 },
          participant: {
            sid: 'PA_1',
            identity: 'ada',
            name: 'Ada',
            state: 2,
            tracks: [],
            permission: { canPublish: true, canSubscribe: true, canPublishSources: [], canModerate: true },
            joinedAt: 1_700_000_000_500,
            isHost: true,
            away: false,
          },
          otherParticipants: [],
          iceServers: [
            { urls: ['turn:turn.example.org:3478'], username: '1700000600:ada', credential: 'c2VjcmV0' },
          ],
          sessionId: 'SE_1',
          resumeSecret: 'secret',
          serverVersion: '0.1.0',
          pingIntervalMs: 5_000,
          pingTimeoutMs: 15_000,
        },
      },
    };
    const text = encodeSignalResponse(res);
    const json = JSON.parse(text) as Record<string, unknown>;
    expect(json).toMatchObject({
      requestId: 'r1',
      joinResponse: {
        room: { sid: 'RM_1', createdAt: 1_700_000_000_000 },
        participant: { state: 'PARTICIPANT_STATE_ACTIVE' },
      },
    });
    expect(SignalResponse.fromJSON(json)).toEqual(res);
  });

  it('encodes an error with its stable code name', () => {
    const text = encodeSignalResponse({
      requestId: 'r9',
      message: {
        $case: 'error',
        value: { code: ErrorCode.ERROR_CODE_PERMISSION_DENIED, message: 'host only', requestId: 'r9' },
      },
    });
    expect(JSON.parse(text)).toEqual({
      requestId: 'r9',
      error: { code: 'ERROR_CODE_PERMISSION_DENIED', message: 'host only', requestId: 'r9' },
    });
  });
});
