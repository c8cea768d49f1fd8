// Two recorders over one database and kv: when a third one dies for good mid-recording (its pod scaled
// down), one of the two live ones claims its recording and finishes it; a live recorder's own recording
// is left alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { waitFor } from '@origo/kit/testing';
import { grpcForwarder } from '../src/forwarder.js';
import { heartbeatKey } from '../src/heartbeat.js';
import {
  createRecordingService,
  openRecordingDatabase,
  type RecordingDatabase,
  type RecordingService,
} from '../src/service.js';
import { LocalStorage } from '../src/storage.js';
import { newRecordingId } from '../src/store.js';
import { ffmpegMissing, ffprobe, mediaRoom, recordThenKill, type MediaRoom } from './helpers.js';

const missing = await ffmpegMissing();
if (missing !== null) console.warn(`Skipping the recorder take-over tests: ${missing}`);

const HEARTBEAT = { intervalMs: 200, ttlMs: 600, staleAfterMs: 600 };

describe.skipIf(missing !== null)('recorders taking over from a dead one', () => {
  let room: MediaRoom;
  let dir: string;
  let database: RecordingDatabase;
  let busKv: BusKv;
  let storage: LocalStorage;
  let a: RecordingService;
  let b: RecordingService;

  const recorder = (recorderId: string) =>
    createRecordingService({
      database,
      storage,
      forwarder: grpcForwarder(async () => room.grpcAddress),
      resolveCaller: () => Promise.reject(new Error('no REST in this test')),
      // The recorders share their work folder (a volume every replica mounts).
      workDir: join(dir, 'work'),
      rtpHost: '127.0.0.1',
      composite: { preset: 'ultrafast', width: 640, height: 360 },
      recorderId,
      kv: busKv.kv,
      heartbeat: HEARTBEAT,
      retentionSweepMs: 0,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-rec-takeover-'));
    room = await mediaRoom('mtg_take', ['alice', 'bob']);
    storage = new LocalStorage(join(dir, 'recordings'));
    database = await openRecordingDatabase({ dataDir: 'memory://' });
    busKv = await createBusKv({});
    a = await recorder('rec-a');
    b = await recorder('rec-b');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.close();
    await busKv?.close();
    await room?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets exactly one recorder claim an unfinished recording', async () => {
    // Its owner heartbeats, so the recorders' own rounds leave it to the claims made here.
    await busKv.kv.set(heartbeatKey('rec-gone'), String(Date.now()), { ttlMs: 120_000 });
    const id = newRecordingId();
    await a.store.create(
      {
        id,
        meetingId: 'mtg_claim',
        storage: 'local',
        storageKey: `mtg_claim/${id}.mp4`,
        tracks: [],
        recorderId: 'rec-gone',
      },
      { id: 'alice' },
    );
    const claims = await Promise.all([
      a.store.claim(id, 'rec-gone', 'rec-a', { id: 'service:recording' }),
      b.store.claim(id, 'rec-gone', 'rec-b', { id: 'service:recording' }),
    ]);
    expect(claims.filter((c) => c !== null)).toHaveLength(1);
    // A claim from an owner it no longer has changes nothing.
    expect(await a.store.claim(id, 'rec-gone', 'rec-a', { id: 'service:recording' })).toBeNull();
    expect((await a.store.auditOf(id)).filter((e) => e.action === 'recording.claimed')).toHaveLength(1);
    // Not finished here: leave it to the recorder that claimed it, which runs on (its heartbeat is alive).
    await a.store.transition(id, 'recording', 'failed', 'recording.failed', { id: 'service:recording' });
  });

  it('finishes the recording of a recorder that stopped heartbeating, and leaves a live one alone', async () => {
    // rec-a records the room and heartbeats all along.
    const live = await a.manager.start('mtg_take', { id: 'alice' });

    // rec-dead records it too, in a process of its own, heartbeating until it is killed (SIGKILL).
    const id = newRecordingId();
    await a.store.create(
      {
        id,
        meetingId: 'mtg_dead',
        storage: 'local',
        storageKey: `mtg_dead/${id}.mp4`,
        tracks: [],
        recorderId: 'rec-dead',
      },
      { id: 'alice' },
    );
    const beat = () => void busKv.kv.set(heartbeatKey('rec-dead'), String(Date.now()), { ttlMs: 600 });
    beat();
    const beating = setInterval(beat, HEARTBEAT.intervalMs);
    try {
      await recordThenKill({
        sfuAddress: room.grpcAddress,
        recordingId: id,
        roomId: 'mtg_take',
        key: `mtg_dead/${id}.mp4`,
        storageDir: join(dir, 'unused'),
        workDir: join(dir, 'work'),
        forMs: 4000,
      });
    } finally {
      clearInterval(beating);
    }
    const row = await waitFor(
      async () => {
        const r = await a.store.get(id);
        return r?.status === 'ready' || r?.status === 'failed' ? r : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: "the dead recorder's recording finished by another" },
    );
    expect(row).toMatchObject({ status: 'ready', interrupted: true });
    expect(['rec-a', 'rec-b']).toContain(row.recorderId);
    const audit = (await a.store.auditOf(id)).map((e) => e.action);
    expect(audit.filter((x) => x === 'recording.claimed')).toHaveLength(1);
    expect(audit.filter((x) => x === 'recording.ready')).toHaveLength(1);
    const probe = await ffprobe(join(dir, 'recordings', 'mtg_dead', `${id}.mp4`));
    expect(probe.video).toHaveLength(1);
    expect(probe.audio).toHaveLength(1);
    expect(probe.durationS).toBeGreaterThan(2);

    // rec-a's own recording stayed its own, and stops normally.
    expect(await a.store.get(live.id)).toMatchObject({ status: 'recording', recorderId: 'rec-a' });
    const stopped = await a.manager.stop(live.id, { id: 'alice' });
    expect(stopped).toMatchObject({ status: 'ready', interrupted: false, recorderId: 'rec-a' });
  });
});
