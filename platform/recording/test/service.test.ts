import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcServer, createLogger, createMetrics, type GrpcServer } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { NotificationServiceService, type EnqueueRequest } from '@origo/proto/notification-rpc';
import { ROOM_COMMANDS_CHANNEL } from '@origo/control/contracts';
import { createCallerResolver } from '@origo/control/meeting-access';
import { joinTokenIssuer } from '@origo/control/testing';
import { grpcForwarder } from '../src/forwarder.js';
import {
  createRecordingService,
  openRecordingDatabase,
  type RecordingDatabase,
  type RecordingService,
} from '../src/service.js';
import { S3Storage } from '../src/s3Storage.js';
import { LocalStorage, type RecordingStorage } from '../src/storage.js';
import { newRecordingId } from '../src/store.js';
import { ffmpegMissing, ffprobe, mediaRoom, recordThenKill, type MediaRoom } from './helpers.js';
import { startS3, type S3Peer } from './s3.js';

const missing = await ffmpegMissing();
if (missing !== null) console.warn(`Skipping the recording service media tests: ${missing}`);

describe.skipIf(missing !== null).each(['local', 's3'] as const)(
  'recording a meeting over REST, stored %s',
  (kind) => {
    let room: MediaRoom;
    let dir: string;
    let s3: S3Peer | undefined;
    let storage: RecordingStorage;
    let database: RecordingDatabase;
    let service: RecordingService;
    let base: string;
    let tokens: Awaited<ReturnType<typeof joinTokenIssuer>>;
    let busKv: BusKv;
    const roomCommands: Record<string, unknown>[] = [];
    // The notification service's side of "recording ready": what reaches it over gRPC.
    const enqueued: EnqueueRequest[] = [];
    let notification: GrpcServer;

    beforeAll(async () => {
      notification = createGrpcServer({
        service: 'notification',
        logger: createLogger({ service: 'notification', level: 'silent' }),
        metrics: createMetrics('notification', { defaultMetrics: false }),
      });
      notification.add(NotificationServiceService, {
        enqueue: async (request) => {
          enqueued.push(request);
          return { notificationId: `ntf_${enqueued.length}`, duplicate: false, channels: ['email'] };
        },
        setReminderSchedule: async () => ({ applied: true }),
        cancelReminderSchedule: async () => ({ applied: true }),
      });
      const notificationAddress = `127.0.0.1:${await notification.listen('127.0.0.1', 0)}`;
      busKv = await createBusKv({});
      await busKv.bus.subscribe(ROOM_COMMANDS_CHANNEL, (m) => {
        roomCommands.push(m as Record<string, unknown>);
      });
      dir = await mkdtemp(join(tmpdir(), 'origo-rec-svc-'));
      tokens = await joinTokenIssuer();
      room = await mediaRoom('mtg_rest', ['alice', 'bob']);
      if (kind === 's3') s3 = await startS3();
      storage = s3 === undefined ? new LocalStorage(join(dir, 'recordings')) : new S3Storage(s3.options);
      database = await openRecordingDatabase({ dataDir: 'memory://' });
      service = await createRecordingService({
        database,
        storage,
        forwarder: grpcForwarder(async (roomId) => {
          if (roomId !== room.roomId) throw new Error('no such room');
          return room.grpcAddress;
        }),
        resolveCaller: createCallerResolver({
          joinTokenKeys: tokens.keys,
          resolvePrincipal: () => Promise.resolve(null),
          meetingLookup: () => Promise.reject(new Error('no control in this test')),
        }),
        workDir: join(dir, 'work'),
        rtpHost: '127.0.0.1',
        composite: { preset: 'ultrafast', width: 640, height: 360 },
        bus: busKv.bus,
        meetings: async (meetingId) => ({
          orgId: 'org_test',
          hostId: 'usr_alice',
          title: `Weekly ${meetingId}`,
        }),
        notificationTarget: () => Promise.resolve(notificationAddress),
        publicUrl: 'https://meet.example.com',
        // local: a stop answers at once (202, still stopping), as on a machine slower than the wait;
        // s3: the default wait, so the answer is the stored recording unless this machine is that slow.
        ...(kind === 'local' ? { stopWaitMs: 0 } : {}),
      });
      base = (await service.listen()).http;
    });
    afterAll(async () => {
      await service?.close();
      await notification?.shutdown(500);
      await database?.close();
      await busKv?.close();
      await room?.close();
      if (storage instanceof S3Storage) storage.close();
      await s3?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const call = async (method: string, path: string, token?: string) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
    };

    it('lets only a host start a recording; the others are refused and nothing starts', async () => {
      const guest = await tokens.sign({ identity: 'bob', room: 'mtg_rest' });
      expect((await call('POST', '/api/meetings/mtg_rest/recordings')).status).toBe(401);
      expect((await call('POST', '/api/meetings/mtg_rest/recordings', guest)).status).toBe(403);
      const otherRoomHost = await tokens.sign({ identity: 'carol', room: 'mtg_other', host: true });
      expect((await call('POST', '/api/meetings/mtg_rest/recordings', otherRoomHost)).status).toBe(403);
      expect((await call('GET', '/api/meetings/mtg_rest/recordings', guest)).status).toBe(403);

      const host = await tokens.sign({ identity: 'alice', room: 'mtg_rest', host: true });
      // An unknown layout is refused and starts nothing.
      const bogus = await fetch(`${base}/api/meetings/mtg_rest/recordings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
        body: JSON.stringify({ layout: 'bogus' }),
      });
      expect(bogus.status).toBe(400);
      expect((await call('GET', '/api/meetings/mtg_rest/recordings', host)).body).toEqual({ recordings: [] });
    });

    it('starts, lists, stops, serves and deletes a recording, each step audited', async () => {
      const host = await tokens.sign({ identity: 'alice', room: 'mtg_rest', host: true });
      const started = await call('POST', '/api/meetings/mtg_rest/recordings', host);
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({
        meeting_id: 'mtg_rest',
        status: 'recording',
        created_by: 'alice',
      });
      expect(started.body['tracks']).toHaveLength(4);
      const id = started.body['id'] as string;
      expect((await call('POST', '/api/meetings/mtg_rest/recordings', host)).status).toBe(409);
      // The room is told (signaling shows everyone a banner), through control's room-commands channel.
      const told = (recording: boolean) =>
        roomCommands.find((c) => c['type'] === 'recording_changed' && c['recording'] === recording);
      await expect
        .poll(() => told(true), { timeout: 10_000 })
        .toMatchObject({ room: 'mtg_rest', recording_id: id });

      await new Promise((r) => setTimeout(r, 4000));
      const stopAsked = performance.now();
      const answer = await call('POST', `/api/recordings/${id}/stop`, host);
      if (kind === 'local') {
        expect(answer.status).toBe(202);
        expect(answer.body).toMatchObject({ id, status: 'stopping', download_url: null });
        // A second stop while it is being saved is refused and says why; the first one goes on.
        const again = await call('POST', `/api/recordings/${id}/stop`, host);
        expect(again.status).toBe(412);
        expect(JSON.stringify(again.body)).toContain('The recording is stopping');
      } else expect([200, 202]).toContain(answer.status);
      // The caller follows the recording until it is stored (the meeting page does the same).
      let stopped = answer;
      await expect
        .poll(
          async () => {
            if (stopped.body['status'] === 'stopping')
              stopped = await call('GET', `/api/recordings/${id}`, host);
            return stopped.body['status'];
          },
          { timeout: 60_000, interval: 200 },
        )
        .toBe('ready');
      // A figure for the closing note, not a check: stop to a playable, stored file (MP4 and HLS).
      console.log(`[recording ${kind}] stop to ready ${Math.round(performance.now() - stopAsked)} ms`);
      expect(stopped.body).toMatchObject({ status: 'ready', download_url: `/api/recordings/${id}/file` });
      expect(stopped.body['bytes'] as number).toBeGreaterThan(1000);

      const download = await fetch(`${base}/api/recordings/${id}/file`, {
        headers: { authorization: `Bearer ${host}` },
      });
      expect(download.status).toBe(200);
      // The meeting's host is told it is ready, once, through the notification service.
      await expect.poll(() => enqueued.length, { timeout: 15_000 }).toBe(1);
      expect(enqueued[0]).toMatchObject({
        idempotencyKey: `recording:ready:${id}`,
        orgId: 'org_test',
        recipient: { userId: 'usr_alice' },
        params: {
          $case: 'recordingReady',
          value: {
            meetingId: 'mtg_rest',
            meetingTitle: 'Weekly mtg_rest',
            recordingUrl: 'https://meet.example.com/meetings/mtg_rest/recordings',
          },
        },
      });
      expect(download.headers.get('content-type')).toBe('video/mp4');
      expect(told(false)).toMatchObject({ room: 'mtg_rest', recording_id: id });
      const file = join(dir, 'downloaded.mp4');
      await writeFile(file, Buffer.from(await download.arrayBuffer()));
      const probe = await ffprobe(file);
      expect(probe.video).toHaveLength(1);
      expect(probe.audio).toHaveLength(1);
      expect(probe.durationS).toBeGreaterThan(3);
      expect(probe.durationS).toBeLessThan(5);

      // A player seeks with byte ranges.
      const whole = Buffer.from(
        await (
          await fetch(`${base}/api/recordings/${id}/file`, {
            headers: { authorization: `Bearer ${host}` },
          })
        ).arrayBuffer(),
      );
      const part = await fetch(`${base}/api/recordings/${id}/file`, {
        headers: { authorization: `Bearer ${host}`, range: 'bytes=100-299' },
      });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-299/${whole.length}`);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(whole.subarray(100, 300));
      const beyond = await fetch(`${base}/api/recordings/${id}/file`, {
        headers: { authorization: `Bearer ${host}`, range: `bytes=${whole.length}-` },
      });
      expect(beyond.status).toBe(416);

      const guest0 = await tokens.sign({ identity: 'bob', room: 'mtg_rest' });
      // A time-limited link plays without credentials (presigned from S3, signed by the service locally);
      // an altered one is refused.
      const link = await fetch(`${base}/api/recordings/${id}/link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' },
        body: JSON.stringify({ expires_in: 600 }),
      });
      expect(link.status).toBe(200);
      const { url, hls_url, expires_at } = (await link.json()) as {
        url: string;
        hls_url: string | null;
        expires_at: string;
      };
      expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(500_000);
      const absolute = new URL(url, base).toString();
      if (kind === 's3') expect(absolute.startsWith(s3!.endpoint)).toBe(true);
      const viaLink = await fetch(absolute);
      expect(viaLink.status).toBe(200);
      expect(Buffer.from(await viaLink.arrayBuffer())).toEqual(whole);
      // s3rver does not check signatures (the presigning is checked against AWS's published example in
      // links.test.ts); the service's own links are checked here.
      if (kind === 'local') {
        const altered = absolute.replace(
          /(signature=|X-Amz-Signature=)(.)/i,
          (_m, k: string, c: string) => k + (c === 'a' ? 'b' : 'a'),
        );
        expect((await fetch(altered)).status).toBe(403);
      }
      expect((await call('POST', `/api/recordings/${id}/link`, guest0)).status).toBe(403);

      // HLS beside the MP4: the playlist, its init segment and segments, for the host and through a link.
      expect(stopped.body['hls_url']).toBe(`/api/recordings/${id}/hls/index.m3u8`);
      const playlist = await fetch(`${base}/api/recordings/${id}/hls/index.m3u8`, {
        headers: { authorization: `Bearer ${host}` },
      });
      expect(playlist.headers.get('content-type')).toContain('mpegurl');
      const playlistText = await playlist.text();
      expect(playlistText).toContain('#EXT-X-ENDLIST');
      expect(playlistText).toContain('seg-00000.m4s');
      expect((await call('GET', `/api/recordings/${id}/hls/seg-00000.m4s`, guest0)).status).toBe(403);
      expect((await call('GET', `/api/recordings/${id}/hls/..%2Fother.mp4`, host)).status).toBe(400);
      const signedPlaylistUrl = new URL(hls_url!, base).toString();
      const signedText = await (await fetch(signedPlaylistUrl)).text();
      const segmentLine = signedText.split('\n').find((l) => l.startsWith('seg-'))!;
      expect(segmentLine).toContain('signature=');
      expect(signedText).toMatch(/#EXT-X-MAP:URI="init\.mp4\?expires=\d+&signature=/);
      expect((await fetch(new URL(segmentLine, signedPlaylistUrl))).status).toBe(200);
      // A player reading the signed playlist over HTTP gets the whole recording.
      const overHls = await ffprobe(signedPlaylistUrl);
      expect(overHls.video).toHaveLength(1);
      expect(overHls.audio).toHaveLength(1);
      expect(overHls.durationS).toBeGreaterThan(3);

      const list = await call('GET', '/api/meetings/mtg_rest/recordings', host);
      expect((list.body['recordings'] as { id: string }[]).map((r) => r.id)).toEqual([id]);
      const guest = guest0;
      expect((await call('GET', `/api/recordings/${id}/file`, guest)).status).toBe(403);
      expect((await call('DELETE', `/api/recordings/${id}`, guest)).status).toBe(403);

      expect((await call('DELETE', `/api/recordings/${id}`, host)).status).toBe(204);
      expect((await call('GET', `/api/recordings/${id}`, host)).status).toBe(404);
      expect(await storage.stat(`mtg_rest/${id}.mp4`)).toBeNull();
      expect(await storage.stat(`mtg_rest/${id}/hls/index.m3u8`)).toBeNull();
      expect(await storage.stat(`mtg_rest/${id}/hls/seg-00000.m4s`)).toBeNull();
      const audit = await service.store.auditOf(id);
      expect(audit.map((a) => [a.action, a.actor])).toEqual([
        ['recording.started', 'alice'],
        ['recording.stopped', 'alice'],
        ['recording.ready', 'service:recording'],
        ['recording.deleted', 'alice'],
      ]);
    });

    it('finishes, after a restart, the recordings its recorder was writing when it died', async () => {
      // A recorder in a process of its own records the room, then is killed (SIGKILL) mid-recording.
      const id = newRecordingId();
      const workDir = join(dir, 'work');
      await service.store.create(
        {
          id,
          meetingId: 'mtg_rest',
          storage: storage.kind,
          storageKey: `mtg_rest/${id}.mp4`,
          tracks: [],
          recorderId: 'local',
        },
        { id: 'alice' },
      );
      await recordThenKill({
        sfuAddress: room.grpcAddress,
        recordingId: id,
        roomId: 'mtg_rest',
        key: `mtg_rest/${id}.mp4`,
        storageDir: join(dir, 'unused'),
        workDir,
        forMs: 4000,
      });
      // Another recording of the same recorder left nothing on disk at all.
      const lost = newRecordingId();
      await service.store.create(
        {
          id: lost,
          meetingId: 'mtg_lost',
          storage: storage.kind,
          storageKey: `mtg_lost/${lost}.mp4`,
          tracks: [],
          recorderId: 'local',
        },
        { id: 'alice' },
      );

      // The recorder starts again (same id, same folder): it finishes the first and marks the second failed.
      const restarted = await createRecordingService({
        database,
        storage,
        forwarder: grpcForwarder(async () => room.grpcAddress),
        resolveCaller: createCallerResolver({
          joinTokenKeys: tokens.keys,
          resolvePrincipal: () => Promise.resolve(null),
          meetingLookup: () => Promise.reject(new Error('no control in this test')),
        }),
        workDir,
        rtpHost: '127.0.0.1',
        bus: busKv.bus,
      });
      try {
        const url = (await restarted.listen()).http;
        const host = await tokens.sign({ identity: 'alice', room: 'mtg_rest', host: true });
        const got = await fetch(`${url}/api/recordings/${id}`, {
          headers: { authorization: `Bearer ${host}` },
        });
        const body = (await got.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ status: 'ready', interrupted: true });
        const download = await fetch(`${url}${body['download_url'] as string}`, {
          headers: { authorization: `Bearer ${host}` },
        });
        expect(download.status).toBe(200);
        const file = join(dir, 'interrupted.mp4');
        await writeFile(file, Buffer.from(await download.arrayBuffer()));
        const probe = await ffprobe(file);
        expect(probe.video).toHaveLength(1);
        expect(probe.audio).toHaveLength(1);
        expect(probe.durationS).toBeGreaterThan(2);
        expect(await restarted.store.get(lost)).toMatchObject({
          status: 'failed',
          interrupted: true,
          error: expect.stringContaining('The recorder stopped during the recording') as unknown,
        });
        // The room is told the recording ended (its banner goes away).
        await expect
          .poll(() =>
            roomCommands.some(
              (c) =>
                c['type'] === 'recording_changed' && c['recording_id'] === id && c['recording'] === false,
            ),
          )
          .toBe(true);
      } finally {
        await restarted.close();
      }
    });

    it('reports not ready with a clear message when FFmpeg is missing', async () => {
      const broken = await createRecordingService({
        database,
        storage,
        forwarder: grpcForwarder(async () => room.grpcAddress),
        resolveCaller: () => Promise.reject(new Error('unused')),
        workDir: join(dir, 'work2'),
        rtpHost: '127.0.0.1',
        ffmpeg: '/nonexistent/ffmpeg',
      });
      try {
        const url = (await broken.listen()).http;
        const response = await fetch(`${url}/health/ready`);
        expect(response.status).toBe(503);
        expect(await response.text()).toContain('FFmpeg not found (/nonexistent/ffmpeg)');
      } finally {
        await broken.close();
      }
    });
  },
);
