import { createSocket, type Socket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PLAIN_RTP_PAYLOAD_TYPES } from '../../src/media/index.js';
import {
  answerNextOffer,
  join,
  publish,
  sendVideo,
  settle,
  testRoom,
  useRoomTimers,
} from './roomFixtures.js';

interface Received {
  pt: number;
  seq: number;
  ssrc: number;
  marker: boolean;
  /** First byte of the VP8 payload after the descriptor is not parsed here; the S bit and keyframe flag are. */
  payload: Buffer;
}

async function receiver(): Promise<{ socket: Socket; port: number; packets: Received[] }> {
  const socket = createSocket('udp4');
  const packets: Received[] = [];
  socket.on('message', (msg) => {
    packets.push({
      pt: msg[1]! & 0x7f,
      marker: (msg[1]! & 0x80) !== 0,
      seq: msg.readUInt16BE(2),
      ssrc: msg.readUInt32BE(8),
      payload: msg.subarray(12),
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port, packets };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
}

describe('plain RTP forward to a recorder', () => {
  const sockets: Socket[] = [];
  beforeEach(() => useRoomTimers());
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
    vi.useRealTimers();
  });

  it('sends a live video track as plain RTP starting at a keyframe, after asking the publisher for one', async () => {
    const room = testRoom();
    const alice = await publish(room, 'alice');
    sendVideo(alice, 3, true);
    const video = await receiver();
    const audio = await receiver();
    sockets.push(video.socket, audio.socket);
    const plisBefore = alice.layers.map((l) => l.track.plis.length);
    const forward = room.router.createRtpForward('rec-1');
    const cam = room.router.getProducer(alice.camId)!;
    const mic = room.router.getProducer(alice.micId)!;
    const described = forward.add({ producer: cam, target: { host: '127.0.0.1', port: video.port } });
    forward.add({ producer: mic, target: { host: '127.0.0.1', port: audio.port } });
    expect(described).toMatchObject({ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 });

    sendVideo(alice, 2); // delta frames: not forwarded
    expect(alice.layers.some((l, i) => l.track.plis.length > plisBefore[i]!)).toBe(true);
    expect(video.packets).toHaveLength(0);
    sendVideo(alice, 4, true);
    for (let i = 0; i < 5; i++) alice.mic.packet();
    await until(() => video.packets.length >= 12 && audio.packets.length >= 5);

    expect(video.packets.length).toBeGreaterThanOrEqual(12);
    const first = video.packets[0]!;
    expect(first.pt).toBe(PLAIN_RTP_PAYLOAD_TYPES.video);
    expect(first.ssrc).toBe(described.ssrc);
    // VP8 payload descriptor (RFC 7741 4.2): S bit set on the first packet; the frame tag's P bit 0 = keyframe.
    expect(first.payload[0]! & 0x10).toBe(0x10);
    const seqs = video.packets.map((p) => p.seq);
    expect(seqs.every((s, i) => i === 0 || s === ((seqs[i - 1]! + 1) & 0xffff))).toBe(true);
    expect(audio.packets[0]!.pt).toBe(PLAIN_RTP_PAYLOAD_TYPES.audio);
    forward.close();
    room.router.close();
  });

  it('leaves ordinary subscribers as they were and closes with the router', async () => {
    const room = testRoom();
    const alice = await publish(room, 'alice');
    const bob = join(room, 'bob');
    bob.peer.subscribe(alice.camId);
    await answerNextOffer(bob.peer);
    const toBob = bob.sub.current.find((t) => t.trackId === alice.camId)!;
    const rx = await receiver();
    sockets.push(rx.socket);
    const forward = room.router.createRtpForward('rec-2');
    forward.add({
      producer: room.router.getProducer(alice.camId)!,
      target: { host: '127.0.0.1', port: rx.port },
    });
    sendVideo(alice, 12);
    sendVideo(alice, 3, true);
    const before = toBob.sent.length;
    expect(before).toBeGreaterThan(0);
    sendVideo(alice, 5);
    await settle();
    // Every packet of the top layer still reaches the subscriber, in order, beside the recorder's copy.
    expect(toBob.sent.length).toBe(before + 5 * alice.layers[2].packetsPerFrame);
    await until(() => rx.packets.length > 0);
    expect(rx.packets.length).toBeGreaterThan(0);
    const closed = vi.fn();
    forward.on('close', closed);
    room.router.close();
    expect(closed).toHaveBeenCalledWith('routerclose');
    expect(forward.isClosed).toBe(true);
    expect(room.router.getRtpForward('rec-2')).toBeUndefined();
  });
});
