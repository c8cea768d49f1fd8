// A room's egress reaches control as readings of its router's sent bytes: real libwebrtc peers through
// signaling and an SFU worker, readings taken while the room lives and one final reading when its router
// closes, each named by the room instance and its total so a resent reading is the same event.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@origo/kit/testing';
import { RoomEventType } from '@origo/proto/control-rpc';
import { createSfuWorkerService, type SfuWorkerService } from '@origo/sfu';
import type { RoomEventReport, RoomEventReporter } from '../src/index.js';
import { SignalClient } from './helpers/client.js';
import { logger, startStack, type Stack } from './helpers/harness.js';
import { MediaPeer } from './helpers/mediaPeer.js';
import { transportsUnderTest } from './helpers/transports.js';

const DEADLINE = 45_000;
const ROOM = 'egress-room';

/** Keeps what signaling reports, as control would receive it. */
function recordingReporter(): RoomEventReporter & { events: RoomEventReport[] } {
  const events: RoomEventReport[] = [];
  return {
    events,
    report: (event) => void events.push(event),
    refreshJoinToken: () => Promise.resolve(null),
    close: () => undefined,
  };
}

let stack: Stack | undefined;
let worker: SfuWorkerService | undefined;
let peers: MediaPeer[] = [];
let sockets: SignalClient[] = [];

afterEach(async () => {
  for (const p of peers) p.close();
  for (const s of sockets) s.close();
  peers = [];
  sockets = [];
  await stack?.close();
  await worker?.stop(1000);
  stack = undefined;
  worker = undefined;
});

describe.each(transportsUnderTest())('room egress readings on %s', (transport) => {
  it('reports the bytes the SFU sent to real peers while the room lives and once more when it closes', async () => {
    worker = createSfuWorkerService({ workerId: 'eg-w0', nodeId: 'eg', logger, router: { transport } });
    const { grpcAddress } = await worker.listen();
    const reporter = recordingReporter();
    stack = await startStack({
      sfu: { addresses: () => [grpcAddress], stop: () => Promise.resolve() },
      reporter,
      config: { EGRESS_SAMPLE_MS: 1000, ROOM_EMPTY_GRACE_MS: 300, SIGNAL_RESUME_GRACE_MS: 500 },
    });
    const participant = async (identity: string): Promise<MediaPeer> => {
      const socket = await SignalClient.open(stack!.nodes[0]!.wsUrl);
      sockets.push(socket);
      const p = new MediaPeer(socket);
      peers.push(p);
      await p.join(await stack!.token(identity, { room: ROOM }));
      return p;
    };
    const alice = await participant('alice');
    await alice.publish();
    const bob = await participant('bob');
    await waitFor(() => bob.media(alice.sid).videoFrames >= 10, {
      timeoutMs: DEADLINE,
      what: 'bob sees alice',
    });

    const egress = () => reporter.events.filter((e) => e.type === RoomEventType.ROOM_EVENT_TYPE_EGRESS);
    // A periodic reading while both are in the room.
    await waitFor(() => egress().length >= 1, { timeoutMs: DEADLINE, what: 'an egress reading' });
    const stats = worker.worker.getStats(ROOM);
    const sentSoFar = stats.routers[0]?.bytesSent ?? 0;
    expect(sentSoFar).toBeGreaterThan(0);

    for (const p of [bob, alice]) {
      p.signal.send({ leave: {} });
      await p.signal.closed;
    }
    await waitFor(() => reporter.events.some((e) => e.type === RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED), {
      timeoutMs: DEADLINE,
      what: 'the room ended',
    });

    const readings = egress();
    const sid = readings[0]!.roomSid;
    expect(sid).toMatch(/^RM_/);
    // Every reading names the room instance and its total; totals only grow, and the last one (taken when the
    // router closed) holds at least all that was sent while both were in.
    for (const r of readings) {
      expect(r.roomName).toBe(ROOM);
      expect(r.roomSid).toBe(sid);
      expect(r.eventId).toBe(`egress:${ROOM}:${sid}:${r.bytesSent}`);
    }
    const totals = readings.map((r) => r.bytesSent ?? 0);
    expect([...totals].sort((a, b) => a - b)).toEqual(totals);
    // A total read twice (the room idle between the last reading and the close, reported by a node that
    // forgot it) carries the same event id, which billing meters once.
    expect(new Set(readings.map((r) => r.eventId)).size).toBe(new Set(totals).size);
    expect(totals.at(-1)).toBeGreaterThanOrEqual(sentSoFar);
    // The final reading goes out before the room's end, so control meters it with the room.
    const order = reporter.events.map((e) => e.type);
    expect(order.lastIndexOf(RoomEventType.ROOM_EVENT_TYPE_EGRESS)).toBeLessThan(
      order.indexOf(RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED),
    );
  });
});
