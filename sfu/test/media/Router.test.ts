// Router over the fake transport: its close reaches every peer, producer and consumer with the reason,
// and speaker detection follows who is loud.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, InvalidStateError } from '../../src/media/errors.js';
import type { ActiveSpeaker } from '../../src/media/Router.js';
import {
  answerNextOffer,
  join,
  publish,
  sendVideo,
  TICK_MS,
  testRoom,
  useRoomTimers,
  type Publisher,
  type TestRoom,
} from './roomFixtures.js';

let room: TestRoom;

beforeEach(() => {
  useRoomTimers();
  room = testRoom();
});

afterEach(() => {
  room.router.close();
  vi.useRealTimers();
});

describe('Router peers', () => {
  it('admits each participant once, with a usable id', () => {
    join(room, 'alice');
    expect(() => room.router.createPeer('alice')).toThrow(InvalidStateError);
    expect(() => room.router.createPeer('')).toThrow(InvalidArgumentError);
    expect(() => room.router.createPeer('x'.repeat(257))).toThrow(InvalidArgumentError);
    expect(room.router.peerCount).toBe(1);
    // A participant that left may come back.
    room.router.getPeer('alice')!.close();
    expect(room.router.peerCount).toBe(0);
    expect(join(room, 'alice').peer.isClosed).toBe(false);
  });
});

describe('Router close', () => {
  it('closes every peer, producer and consumer, each told why, and every connection', async () => {
    const alice = await publish(room, 'alice');
    const bob = await publish(room, 'bob');
    const carol = join(room, 'carol');
    for (const [m, p] of [
      [bob, alice],
      [carol, alice],
      [carol, bob],
    ] as const) {
      m.peer.subscribe(p.camId);
      m.peer.subscribe(p.micId);
    }
    for (const m of [bob, carol]) await answerNextOffer(m.peer);
    sendVideo(alice, 12);
    sendVideo(alice, 2, true);

    const told: string[] = [];
    for (const m of [alice, bob, carol]) {
      m.peer.on('close', (r) => told.push(`peer ${m.peer.participantId} ${r}`));
      for (const c of m.peer.getConsumers())
        c.on('close', (r) => told.push(`consumer ${m.peer.participantId}<-${c.producerId} ${r}`));
    }
    for (const p of room.router.listProducers()) p.on('close', (r) => told.push(`producer ${p.id} ${r}`));
    const routerTold: string[] = [];
    room.router.on('peerLeft', (id, r) => routerTold.push(`left ${id} ${r}`));
    room.router.on('producerClosed', (id, participant, r) =>
      routerTold.push(`unpublished ${participant} ${id} ${r}`),
    );
    room.router.on('close', () => routerTold.push('router closed'));

    room.router.close();
    room.router.close();

    // Peers close in join order: alice's producers end bob's and carol's consumers of them first.
    expect(told).toEqual([
      'consumer bob<-alice-cam producerclose',
      'consumer carol<-alice-cam producerclose',
      'producer alice-cam peerclose',
      'consumer bob<-alice-mic producerclose',
      'consumer carol<-alice-mic producerclose',
      'producer alice-mic peerclose',
      'peer alice routerclose',
      'consumer carol<-bob-cam producerclose',
      'producer bob-cam peerclose',
      'consumer carol<-bob-mic producerclose',
      'producer bob-mic peerclose',
      'peer bob routerclose',
      'peer carol routerclose',
    ]);
    expect(routerTold).toEqual([
      'unpublished alice alice-cam peerclose',
      'unpublished alice alice-mic peerclose',
      'left alice routerclose',
      'unpublished bob bob-cam peerclose',
      'unpublished bob bob-mic peerclose',
      'left bob routerclose',
      'left carol routerclose',
      'router closed',
    ]);
    for (const t of [...room.factory.publishers, ...room.factory.subscribers]) expect(t.closed).toBe(true);
    expect(room.router.stats.collect()).toMatchObject({ peers: 0, producers: 0, consumers: 0 });
    expect(room.router.listProducers()).toEqual([]);
    expect(() => room.router.createPeer('dave')).toThrow(InvalidStateError);
    // Media still arriving from a publisher's stack goes nowhere.
    expect(alice.layers[2].track.onPacket).toBeNull();
  });
});

describe('Router speakers', () => {
  /** One tick of audio from each publisher at the given RFC 6464 levels (0 loudest, 127 silence). */
  function speak(levels: Array<[Publisher, number]>): void {
    for (let i = 0; i < 15; i++) for (const [p, level] of levels) p.mic.packet(level);
    vi.advanceTimersByTime(TICK_MS);
  }

  it('reports who speaks, loudest first, and drops those who stop or leave', async () => {
    const alice = await publish(room, 'alice');
    const bob = await publish(room, 'bob');
    const changes: string[][] = [];
    const names = (s: ActiveSpeaker[]): string[] => s.map((x) => `${x.participantId} ${x.producerId}`);
    room.router.on('speakersChanged', (s) => changes.push(names(s)));

    for (let i = 0; i < 5; i++)
      speak([
        [alice, 20],
        [bob, 127],
      ]);
    expect(changes).toEqual([['alice alice-mic']]);

    for (let i = 0; i < 5; i++)
      speak([
        [alice, 30],
        [bob, 5],
      ]);
    expect(changes[changes.length - 1]).toEqual(['bob bob-mic', 'alice alice-mic']);

    for (let i = 0; i < 10; i++)
      speak([
        [alice, 127],
        [bob, 5],
      ]);
    expect(changes[changes.length - 1]).toEqual(['bob bob-mic']);

    bob.peer.close('left');
    for (let i = 0; i < 3; i++) speak([[alice, 127]]);
    expect(changes[changes.length - 1]).toEqual([]);
  });
});
