// The worker's gRPC control API and HTTP listener, in-process, with real libwebrtc peers publishing
// and subscribing through it: ids, events, errors, stats and metrics as signaling sees them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, createGrpcClient, createLogger, unary } from '@origo/kit';
import { parsePrometheusText, waitFor } from '@origo/kit/testing';
import { SignalTarget, SfuServiceClient, TrackKind, TrackSource, VideoQuality } from '@origo/proto/sfu-rpc';
import { createSfuWorkerService, type SfuWorkerService } from '../../src/index.js';
import type { TransportKind } from '../../src/media/index.js';
import { transportsUnderTest } from '../media/transports.js';
import { WrtcClient } from '../media/wrtcClient.js';
import { EventFeed, grpcRouter, type GrpcPeer } from './grpcPeer.js';

const logger = createLogger({ service: 'sfu-test', level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
const DEADLINE = 30_000;
let service: SfuWorkerService;
let client: SfuServiceClient;
let httpUrl: string;
let feed: EventFeed;
let peers: WrtcClient<GrpcPeer>[] = [];

async function startService(transport: TransportKind): Promise<void> {
  service = createSfuWorkerService({
    workerId: 'w-test',
    nodeId: 'node-test',
    logger,
    router: { transport },
  });
  const bound = await service.listen();
  httpUrl = bound.httpUrl;
  client = createGrpcClient(SfuServiceClient, bound.grpcAddress);
  feed = new EventFeed(client);
  await feed.ready;
}

afterEach(async () => {
  for (const p of peers) p.close();
  peers = [];
  feed.close();
  client.close();
  await service.stop(1000);
});

async function rpcError(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw new Error(`expected an AppError, got ${String(err)}`);
  return err;
}

describe.each(transportsUnderTest())('SfuService on a worker (%s transport)', (transport) => {
  beforeEach(() => startService(transport));

  it('creates routers idempotently and refuses bad calls with canonical codes', async () => {
    expect(await unary(client.createRouter.bind(client), { roomId: 'r1' })).toEqual({
      workerId: 'w-test',
      created: true,
    });
    expect(await unary(client.createRouter.bind(client), { roomId: 'r1' })).toEqual({
      workerId: 'w-test',
      created: false,
    });
    expect((await rpcError(unary(client.createRouter.bind(client), { roomId: '' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      (
        await rpcError(
          unary(client.createPeer.bind(client), {
            roomId: 'nope',
            participantId: 'p',
            iceServers: [],
            canPublish: true,
            canSubscribe: true,
          }),
        )
      ).code,
    ).toBe('NOT_FOUND');
    expect(
      await unary(client.createPeer.bind(client), {
        roomId: 'r1',
        participantId: 'p1',
        iceServers: [],
        canPublish: true,
        canSubscribe: true,
      }),
    ).toEqual({ created: true });
    expect(
      await unary(client.createPeer.bind(client), {
        roomId: 'r1',
        participantId: 'p1',
        iceServers: [],
        canPublish: true,
        canSubscribe: true,
      }),
    ).toEqual({ created: false });
    const garbage = await rpcError(
      unary(client.publish.bind(client), {
        roomId: 'r1',
        participantId: 'p1',
        offerSdp: 'not sdp',
        tracks: [],
      }),
    );
    expect(garbage.code).toBe('INVALID_ARGUMENT');
    const stale = await rpcError(
      unary(client.setSubscriberAnswer.bind(client), {
        roomId: 'r1',
        participantId: 'p1',
        answerSdp: 'v=0',
        offerId: 7,
      }),
    );
    expect(stale.code).toBe('FAILED_PRECONDITION');
    const badTarget = await rpcError(
      unary(client.addIceCandidate.bind(client), {
        roomId: 'r1',
        participantId: 'p1',
        target: SignalTarget.SIGNAL_TARGET_UNSPECIFIED,
        candidate: { candidate: 'x' },
      }),
    );
    expect(badTarget.code).toBe('INVALID_ARGUMENT');
    await unary(client.createPeer.bind(client), {
      roomId: 'r1',
      participantId: 'viewer',
      iceServers: [],
      canPublish: false,
      canSubscribe: true,
    });
    const forbidden = await rpcError(
      unary(client.publish.bind(client), {
        roomId: 'r1',
        participantId: 'viewer',
        offerSdp: 'v=0\r\nm=audio 9 x 0\r\n',
        tracks: [],
      }),
    );
    expect(forbidden.code).toBe('PERMISSION_DENIED');
    // The worker is still fine.
    const load = await unary(client.getLoad.bind(client), {});
    expect(load.nodeId).toBe('node-test');
    expect(load.workers[0]).toMatchObject({
      workerId: 'w-test',
      routerCount: 1,
      peerCount: 2,
      draining: false,
    });
    expect(await unary(client.closePeer.bind(client), { roomId: 'r1', participantId: 'p1' })).toEqual({
      closed: true,
    });
    expect(await unary(client.closeRouter.bind(client), { roomId: 'r1' })).toMatchObject({
      closed: true,
      stats: { roomId: 'r1', bytesSent: 0, peers: [] },
    });
    expect(await unary(client.closeRouter.bind(client), { roomId: 'r1' })).toEqual({ closed: false });
    await waitFor(() => feed.events.some((e) => e.event?.$case === 'routerClosed' && e.roomId === 'r1'), {
      timeoutMs: 5000,
      what: 'router_closed event',
    });
  });

  it('forwards real media: track ids at Publish, events on the stream, stats, metrics, clean teardown', async () => {
    await unary(client.createRouter.bind(client), { roomId: 'media' });
    const router = grpcRouter(client, 'media', feed);
    const alice = new WrtcClient<GrpcPeer>('alice', { simulcast: true });
    const bob = new WrtcClient<GrpcPeer>('bob', { video: false, audio: false });
    peers.push(alice, bob);
    await bob.join(router);
    await bob.peer.created;
    await alice.join(router);

    const published = await waitFor(
      () => {
        const ev = feed.events.filter(
          (e) => e.participantId === 'alice' && e.event?.$case === 'trackPublished',
        );
        return ev.length >= 2 ? ev : undefined;
      },
      { timeoutMs: DEADLINE, what: 'track_published events' },
    );
    const tracks = published.map(
      (e) =>
        (e.event as { value: { trackId: string; kind: TrackKind; source: TrackSource; mimeType: string } })
          .value,
    );
    const video = tracks.find((t) => t.kind === TrackKind.TRACK_KIND_VIDEO)!;
    expect(video.mimeType).toBe('video/VP8');
    expect(video.source).toBe(TrackSource.TRACK_SOURCE_CAMERA);
    expect(video.trackId).toMatch(/^TR_/);

    const sub = await unary(client.subscribe.bind(client), {
      roomId: 'media',
      participantId: 'bob',
      trackIds: [...tracks.map((t) => t.trackId), 'TR_unknown'],
      subscribe: true,
    });
    expect(sub.unknownTrackIds).toEqual(['TR_unknown']);
    await waitFor(() => bob.media('alice').videoFrames >= 10 && bob.media('alice').audioChunks >= 10, {
      timeoutMs: DEADLINE,
      what: 'bob decodes alice via gRPC',
      detail: () => ({ received: bob.media('alice'), events: feed.events.length }),
    });
    await unary(client.updateTrackSettings.bind(client), {
      roomId: 'media',
      participantId: 'bob',
      trackId: video.trackId,
      paused: false,
      width: 0,
      height: 0,
      quality: VideoQuality.VIDEO_QUALITY_LOW,
    });
    await waitFor(
      () =>
        feed.events.some(
          (e) =>
            e.participantId === 'bob' &&
            e.event?.$case === 'layerChanged' &&
            e.event.value.quality === VideoQuality.VIDEO_QUALITY_LOW,
        ),
      {
        timeoutMs: DEADLINE,
        what: 'layer_changed to LOW',
      },
    );

    // Mute stops forwarding; unmute resumes.
    await unary(client.setTrackMuted.bind(client), {
      roomId: 'media',
      participantId: 'alice',
      trackId: video.trackId,
      muted: true,
    });
    const stats = await unary(client.getStats.bind(client), { roomId: 'media' });
    expect(stats.routers[0]).toMatchObject({
      roomId: 'media',
      workerId: 'w-test',
      peerCount: 2,
      producerCount: 2,
      consumerCount: 2,
    });
    // Media flowed from alice to bob: the router counted it both ways.
    expect(stats.routers[0]?.bytesReceived).toBeGreaterThan(0);
    expect(stats.routers[0]?.bytesSent).toBeGreaterThan(0);
    // And per participant: alice only sends, bob only receives, and they add up to the room.
    const peer = (id: string) => stats.routers[0]?.peers.find((p) => p.participantId === id);
    expect(peer('alice')).toMatchObject({ bytesSent: 0, packetsSent: 0 });
    expect(peer('bob')).toMatchObject({ bytesReceived: 0, packetsReceived: 0 });
    expect(peer('alice')?.bytesReceived).toBe(stats.routers[0]?.bytesReceived);
    expect(peer('bob')?.bytesSent).toBe(stats.routers[0]?.bytesSent);
    expect(peer('bob')?.packetsSent).toBeGreaterThan(20);
    await unary(client.setTrackMuted.bind(client), {
      roomId: 'media',
      participantId: 'alice',
      trackId: video.trackId,
      muted: false,
    });
    const frames = bob.media('alice').videoFrames;
    await waitFor(() => bob.media('alice').videoFrames >= frames + 10, {
      timeoutMs: DEADLINE,
      what: 'video after unmute',
    });

    const res = await fetch(`${httpUrl}/metrics`);
    const { samples } = parsePrometheusText(await res.text());
    const value = (name: string, labels: Record<string, string> = {}): number =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value ?? -1;
    expect(value('origo_sfu_peers')).toBe(2);
    expect(value('origo_sfu_producers')).toBe(2);
    expect(value('origo_sfu_consumers')).toBe(2);
    expect(value('origo_sfu_packets_total', { direction: 'in' })).toBeGreaterThan(0);
    expect(value('origo_sfu_packets_total', { direction: 'out' })).toBeGreaterThan(0);
    expect(value('origo_sfu_keyframe_requests_total', { direction: 'sent' })).toBeGreaterThan(0);
    expect(value('origo_sfu_event_loop_lag_seconds', { quantile: 'max' })).toBeGreaterThan(0);

    await unary(client.closePeer.bind(client), { roomId: 'media', participantId: 'alice' });
    await waitFor(
      () => feed.events.some((e) => e.participantId === 'alice' && e.event?.$case === 'trackClosed'),
      { timeoutMs: DEADLINE, what: 'track_closed' },
    );
    await unary(client.closePeer.bind(client), { roomId: 'media', participantId: 'bob' });
    const load = await unary(client.getLoad.bind(client), {});
    expect(load.workers[0]).toMatchObject({ peerCount: 0, producerCount: 0, consumerCount: 0 });
    // Counters survive the router: they are totals of the worker.
    // Closing the router answers with its final totals, at least what it had sent before.
    const closed = await unary(client.closeRouter.bind(client), { roomId: 'media' });
    expect(closed.stats?.bytesSent).toBeGreaterThanOrEqual(stats.routers[0]?.bytesSent ?? Infinity);
    const after = parsePrometheusText(await (await fetch(`${httpUrl}/metrics`)).text()).samples;
    expect(
      after.find((s) => s.name === 'origo_sfu_packets_total' && s.labels['direction'] === 'out')?.value,
    ).toBeGreaterThan(0);
  });

  it('drains: readiness fails and new rooms are refused while existing ones stay', async () => {
    await unary(client.createRouter.bind(client), { roomId: 'before' });
    expect((await fetch(`${httpUrl}/health/ready`)).status).toBe(200);
    service.drain();
    expect((await fetch(`${httpUrl}/health/ready`)).status).toBe(503);
    expect((await rpcError(unary(client.createRouter.bind(client), { roomId: 'after' }))).code).toBe(
      'UNAVAILABLE',
    );
    expect(await unary(client.createRouter.bind(client), { roomId: 'before' })).toMatchObject({
      created: false,
    });
    expect((await unary(client.getLoad.bind(client), {})).workers[0]?.draining).toBe(true);
  });
});
