// Issue 9 findings 6 and 7 through the real path (WebSocket -> signaling -> gRPC -> forked werift worker,
// libwebrtc peers): people join and leave a room of three again and again; every newcomer is seen and
// heard by everyone who stays, although the subscriber m-lines (and SSRCs) freed by a leaver are reused
// for the next one. Publishers learn their track sids, and mute reaches the others as track state.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { SignalClient, type Json } from './helpers/client.js';
import { forkedSfu, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';
import { transportsUnderTest } from './helpers/transports.js';

const DEADLINE = 45_000;
const ROOM = 'churn-room';
/** The track-state test's own room, so it never meets the churn room closing. */
const TRACKS_ROOM = 'tracks-room';
let stack: Stack;
let sfu: Awaited<ReturnType<typeof forkedSfu>>;
const peers: MediaPeer[] = [];
const sockets: SignalClient[] = [];

async function participant(identity: string, room = ROOM): Promise<MediaPeer> {
  const s = await SignalClient.open(stack.nodes[0]!.wsUrl);
  sockets.push(s);
  const p = new MediaPeer(s);
  peers.push(p);
  await p.join(await stack.token(identity, { room }));
  await p.publish();
  return p;
}

/** `viewer` decodes `from`'s video and plays its audio, counted from now on. */
async function seesAndHears(viewer: MediaPeer, from: MediaPeer, what: string): Promise<void> {
  const start = { ...viewer.media(from.sid) };
  await waitFor(
    () =>
      viewer.media(from.sid).videoFrames >= start.videoFrames + 15 &&
      viewer.media(from.sid).audioChunks >= start.audioChunks + 50,
    { timeoutMs: DEADLINE, what },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; ${viewer.describe(from)}; ${from.describe(viewer)}`);
  });
}

describe.each(transportsUnderTest())('a room with people coming and going on %s', (transport) => {
  beforeAll(async () => {
    sfu = await forkedSfu(1, { SFU_TRANSPORT: transport });
    stack = await startStack({ sfu, config: { SIGNAL_RESUME_GRACE_MS: 2000, ROOM_EMPTY_GRACE_MS: 300 } });
  });

  // Each test's people leave with it: the next test's room carries no one else's media (on two cores, three
  // more encoding publishers slowed the next test's peers enough to miss its deadlines).
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await stack?.close();
    await sfu?.stop();
  });

  it('everyone who stays sees and hears each of five newcomers on reused m-lines', async () => {
    const stay = [await participant('ann'), await participant('ben'), await participant('cat')];
    for (const p of stay) for (const o of stay) if (o !== p) await seesAndHears(p, o, `${p.sid} <- ${o.sid}`);

    for (let round = 1; round <= 5; round++) {
      const guest = await participant(`guest-${round}`);
      for (const p of stay)
        await seesAndHears(p, guest, `round ${round}: a stayer decodes and hears the newcomer`);
      await seesAndHears(guest, stay[0]!, `round ${round}: the newcomer decodes a stayer`);
      guest.signal.send({ leave: {} });
      for (const p of stay) {
        await p.signal.next(
          (m) => (m['participantLeft'] as Json | undefined)?.['participantSid'] === guest.sid,
          DEADLINE,
          `round ${round}: newcomer left`,
        );
      }
      guest.close();
    }
    // The stayers still see each other after all that churn.
    for (const p of stay)
      for (const o of stay) if (o !== p) await seesAndHears(p, o, `after churn ${p.sid} <- ${o.sid}`);
    for (const p of stay) expect(p.errors).toEqual([]);
  }, 240_000);

  it('tells publishers their track sids and shows mute and camera-off to the others as track state', async () => {
    const [ann, ben] = [await participant('mia', TRACKS_ROOM), await participant('max', TRACKS_ROOM)];
    await seesAndHears(ben, ann, 'max decodes mia');
    const mic = ann.published.get(ann.audioCid);
    const cam = ann.published.get(ann.videoCid);
    expect(mic?.['sid']).toMatch(/^TR_/);
    expect(cam?.['sid']).toMatch(/^TR_/);
    // The others got the announced size, not 0x0: in a track update, or in the participant's track list
    // (the join response or a participant event, when the track was published before max joined).
    const tracksIn = (m: Json): Json[] => {
      const updated = ((m['tracksChanged'] as Json | undefined)?.['updated'] as Json[] | undefined) ?? [];
      const people = [
        ...(((m['joinResponse'] as Json | undefined)?.['otherParticipants'] as Json[] | undefined) ?? []),
        ...['participantJoined', 'participantUpdated'].map(
          (k) => (m[k] as Json | undefined)?.['participant'] as Json | undefined,
        ),
      ].filter((p): p is Json => p !== undefined);
      return [...updated, ...people.flatMap((p) => (p['tracks'] as Json[] | undefined) ?? [])];
    };
    const camOfAnn = (): Json | undefined =>
      [...ben.signal.received]
        .reverse()
        .flatMap(tracksIn)
        .find((t) => t['sid'] === cam?.['sid'] && Number(t['width'] ?? 0) > 0);
    await waitFor(() => camOfAnn() !== undefined, { timeoutMs: DEADLINE, what: 'camera announced to max' });
    expect(camOfAnn()?.['width']).toBe(640);
    expect(camOfAnn()?.['height']).toBe(360);

    for (const [track, label] of [
      [mic, 'microphone muted'],
      [cam, 'camera off'],
    ] as const) {
      const reply = await ann.signal.request({ muteTrack: { trackSid: track!['sid'], muted: true } });
      expect(reply).toHaveProperty('ack');
      await ben.signal.next(
        (m) =>
          ((m['tracksChanged'] as Json | undefined)?.['updated'] as Json[] | undefined)?.some(
            (t) => t['sid'] === track!['sid'] && t['muted'] === true,
          ) === true,
        DEADLINE,
        `${label} reaches max`,
      );
    }
  });
});
