// Time-limited links to the local folder: absolute under the configured public base URL, a path otherwise.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallerResolver } from '@origo/control/meeting-access';
import { joinTokenIssuer } from '@origo/control/testing';
import { grpcForwarder } from '../src/forwarder.js';
import {
  createRecordingService,
  openRecordingDatabase,
  type RecordingDatabase,
  type RecordingService,
} from '../src/service.js';
import { LocalStorage } from '../src/storage.js';
import { newRecordingId } from '../src/store.js';

describe('links to recordings in the local folder', () => {
  let dir: string;
  let database: RecordingDatabase;
  let tokens: Awaited<ReturnType<typeof joinTokenIssuer>>;
  let storage: LocalStorage;
  const services: RecordingService[] = [];
  let id: string;

  const serviceWith = async (linkBaseUrl: string | undefined) => {
    const service = await createRecordingService({
      database,
      storage,
      forwarder: grpcForwarder(() => Promise.reject(new Error('no SFU in this test'))),
      resolveCaller: createCallerResolver({
        joinTokenKeys: tokens.keys,
        resolvePrincipal: () => Promise.resolve(null),
        meetingLookup: () => Promise.reject(new Error('no control in this test')),
      }),
      workDir: join(dir, 'work'),
      rtpHost: '127.0.0.1',
      linkSecret: 'the deployment-wide link key',
      linkBaseUrl,
      retentionSweepMs: 0,
    });
    services.push(service);
    return { service, base: (await service.listen()).http };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-rec-links-'));
    tokens = await joinTokenIssuer();
    storage = new LocalStorage(join(dir, 'recordings'));
    database = await openRecordingDatabase({ dataDir: 'memory://' });
    // A ready recording with its file in the folder.
    const { store } = (await serviceWith(undefined)).service;
    id = newRecordingId();
    const source = join(dir, 'source.mp4');
    await writeFile(source, Buffer.from('not really an MP4, but bytes to serve'));
    const stored = await storage.put(`mtg_links/${id}.mp4`, source);
    await store.create(
      {
        id,
        meetingId: 'mtg_links',
        storage: 'local',
        storageKey: stored.key,
        tracks: [],
        recorderId: 'local',
      },
      { id: 'alice' },
    );
    await store.transition(id, 'recording', 'stopping', 'recording.stopped', { id: 'alice' });
    await store.transition(
      id,
      'stopping',
      'ready',
      'recording.ready',
      { id: 'service:recording' },
      {
        bytes: stored.bytes,
        durationMs: 1000,
      },
    );
  });
  afterAll(async () => {
    for (const s of services) await s.close();
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const linkOf = async (base: string) => {
    const host = await tokens.sign({ identity: 'alice', room: 'mtg_links', host: true });
    const response = await fetch(`${base}/api/recordings/${id}/link`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { url: string; hls_url: string | null };
  };

  it('gives an absolute URL under the configured public base URL, which serves the file', async () => {
    const { base } = await serviceWith('https://meet.example.com/');
    const { url } = await linkOf(base);
    expect(url).toMatch(
      new RegExp(`^https://meet\\.example\\.com/api/recordings/${id}/file\\?expires=\\d+&signature=`),
    );
    // The gateway passes /api/recordings/* to this service: the same path and query play here.
    const parsed = new URL(url);
    const served = await fetch(`${base}${parsed.pathname}${parsed.search}`);
    expect(served.status).toBe(200);
    // Opened from a shared link, the composite plays in the browser rather than downloading.
    expect(served.headers.get('content-disposition')).toMatch(/^inline; filename="rec_[^"]+\.mp4"$/);
    expect(await served.text()).toBe('not really an MP4, but bytes to serve');
  });

  it('gives a path on this service when no public base URL is configured', async () => {
    const { base } = await serviceWith(undefined);
    const { url } = await linkOf(base);
    expect(url).toMatch(new RegExp(`^/api/recordings/${id}/file\\?expires=\\d+&signature=`));
    expect((await fetch(`${base}${url}`)).status).toBe(200);
  });
});
