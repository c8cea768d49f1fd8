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
import { LinkSigner } from '../src/links.js';
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

  describe('a shared link that does not work', () => {
    const page = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'sec-fetch-mode': 'navigate' };
    const expectExplained = async (url: string, problem: string) => {
      const opened = await fetch(url, { headers: page, redirect: 'manual' });
      expect(opened.status).toBe(303);
      expect(opened.headers.get('location')).toBe(`/recording-link?problem=${problem}`);
    };

    it('sends a person who opens it in a browser tab to the page that explains it', async () => {
      const { base } = await serviceWith(undefined);
      const { url } = await linkOf(base);
      const good = new URL(url, base);
      // A garbage signature, and one that is not even made of signature characters.
      await expectExplained(
        `${base}/api/recordings/${id}/file?expires=99999999999&signature=garbage`,
        'invalid',
      );
      await expectExplained(`${base}/api/recordings/${id}/file?expires=1&signature=!!`, 'invalid');
      // A genuine link whose time is up: signed for an expiry in the past.
      const past = Math.floor(Date.now() / 1000) - 60;
      const signer = new LinkSigner('the deployment-wide link key');
      await expectExplained(`${base}/api/recordings/${id}/file?${signer.query(id, past)}`, 'expired');
      // A genuine link to a recording that is gone.
      const gone = newRecordingId();
      const future = Math.floor(Date.now() / 1000) + 600;
      await expectExplained(`${base}/api/recordings/${gone}/file?${signer.query(gone, future)}`, 'removed');
      // The working link still plays in the tab.
      const played = await fetch(good, { headers: page, redirect: 'manual' });
      expect(played.status).toBe(200);
    });

    it('still answers players and API callers with the problem document, its reason added', async () => {
      const { base } = await serviceWith(undefined);
      const past = Math.floor(Date.now() / 1000) - 60;
      const signer = new LinkSigner('the deployment-wide link key');
      const cases: Array<[string, string]> = [
        [`/api/recordings/${id}/file?expires=99999999999&signature=garbage`, 'link_invalid'],
        [`/api/recordings/${id}/file?${signer.query(id, past)}`, 'link_expired'],
      ];
      for (const [path, reason] of cases) {
        const refused = await fetch(`${base}${path}`, { headers: { accept: 'application/json' } });
        expect(refused.status).toBe(403);
        expect(await refused.json()).toMatchObject({
          detail: 'This link is not valid or has expired: ask the host for a new one',
          reason,
        });
        // A video element asks for anything: no redirect to a page it cannot play.
        expect(
          (await fetch(`${base}${path}`, { headers: { accept: '*/*' }, redirect: 'manual' })).status,
        ).toBe(403);
      }
    });
  });
});
