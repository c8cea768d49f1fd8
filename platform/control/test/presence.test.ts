// Presence: entries that expire by themselves unless their writer refreshes them (in memory, and on Redis
// when REDIS_URL is set), one state per user from all its sources, and the organization's list over REST:
// members only (another organization's users never show), meetings named only to callers who may read
// them, clear 400s for bad input.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { PresenceStore } from '../src/presence.js';
import { backends, meetingBody, REDIS_URL, startHarness, type Harness } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stores: Array<{ name: string; redisUrl?: string }> = [{ name: 'memory' }];
if (REDIS_URL !== undefined) stores.push({ name: 'Redis', redisUrl: REDIS_URL });

describe.each(stores)('presence store ($name)', ({ redisUrl }) => {
  let busKv: BusKv;
  beforeAll(async () => {
    busKv = await createBusKv({ redisUrl, namespace: `presence-${randomUUID()}:` });
  });
  afterAll(async () => {
    await busKv?.close();
  });

  it('forgets an entry nobody refreshes after its TTL, and keeps one that is refreshed', async () => {
    const store = new PresenceStore(busKv.kv, 400);
    await store.put('usr_gone', 'meeting:PA_1', { state: 'in_meeting', meetingId: 'mtg_a' });
    await store.put('usr_kept', 'meeting:PA_2', { state: 'in_meeting', meetingId: 'mtg_a' });
    expect([...(await store.read(['usr_gone', 'usr_kept'])).keys()].sort()).toEqual(['usr_gone', 'usr_kept']);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      await store.put('usr_kept', 'meeting:PA_2', { state: 'in_meeting', meetingId: 'mtg_a' });
    }
    const later = await store.read(['usr_gone', 'usr_kept']);
    expect(later.has('usr_gone')).toBe(false);
    expect(later.get('usr_kept')).toMatchObject({ state: 'in_meeting', meetingIds: ['mtg_a'] });
    // The key itself expired too: nothing is left behind in the store.
    expect(await busKv.kv.hgetall('presence:user:usr_gone')).toEqual({});
  });

  it('combines sources: a meeting wins over a dashboard, away only when every session is away', async () => {
    const store = new PresenceStore(busKv.kv, 10_000);
    const user = `usr_${randomUUID().slice(0, 8)}`;
    await store.put(user, 'web:s1', { state: 'online' });
    expect((await store.read([user])).get(user)).toMatchObject({ state: 'online', meetingIds: [] });
    await store.put(user, 'meeting:PA_1', { state: 'in_meeting', meetingId: 'mtg_1' });
    await store.put(user, 'meeting:PA_2', { state: 'away', meetingId: 'mtg_2' });
    const both = (await store.read([user])).get(user);
    expect(both?.state).toBe('in_meeting');
    expect(both?.meetingIds.sort()).toEqual(['mtg_1', 'mtg_2']);
    await store.put(user, 'meeting:PA_1', { state: 'away', meetingId: 'mtg_1' });
    expect((await store.read([user])).get(user)?.state).toBe('away');
    await store.remove(user, 'meeting:PA_1');
    await store.remove(user, 'meeting:PA_2');
    await store.put(user, 'web:s1', { state: 'away' });
    expect((await store.read([user])).get(user)).toMatchObject({ state: 'away', meetingIds: [] });
    await store.remove(user, 'web:s1');
    expect((await store.read([user])).has(user)).toBe(false);
  });

  it('keeps since while the state holds and moves it when the state changes', async () => {
    let now = 1_000_000;
    const store = new PresenceStore(busKv.kv, 10_000_000, () => now);
    const user = `usr_${randomUUID().slice(0, 8)}`;
    await store.put(user, 'web:s', { state: 'online' });
    now += 5000;
    await store.put(user, 'web:s', { state: 'online' });
    expect((await store.read([user])).get(user)?.since).toBe(1_000_000);
    now += 5000;
    await store.put(user, 'web:s', { state: 'away' });
    expect((await store.read([user])).get(user)?.since).toBe(1_010_000);
  });

  it('never lets a writer with a shorter TTL expire another writer’s entry early', async () => {
    const user = `usr_${randomUUID().slice(0, 8)}`;
    await new PresenceStore(busKv.kv, 5000).put(user, 'meeting:PA_1', {
      state: 'in_meeting',
      meetingId: 'm',
    });
    await new PresenceStore(busKv.kv, 300).put(user, 'web:s', { state: 'online' });
    await sleep(500);
    expect((await new PresenceStore(busKv.kv).read([user])).get(user)?.state).toBe('in_meeting');
  });
});

describe.each(backends)('GET /api/presence ($name)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(backend, `presence${randomUUID().slice(0, 6)}`);
  });
  afterAll(async () => {
    await h?.close();
    await backend.cleanup();
  });

  it('lists the organization’s present members, names only readable meetings, never other orgs', async () => {
    const { admin, host, member, outsider } = h.users;
    const ours = await h.call(host, 'POST', '/api/meetings', meetingBody({ org_id: h.orgA }));
    const theirs = await h.call(outsider, 'POST', '/api/meetings', meetingBody({ title: 'Their plans' }));
    expect([ours.status, theirs.status]).toEqual([201, 201]);
    // As signaling writes it: the host in our meeting, the outsider in theirs, the admin (a member of
    // org A only, invited to org B's meeting) in theirs too.
    const store = new PresenceStore(h.busKv.kv);
    await store.put(host.userId, 'meeting:PA_h', { state: 'in_meeting', meetingId: ours.body.id });
    await store.put(outsider.userId, 'meeting:PA_o', { state: 'in_meeting', meetingId: theirs.body.id });
    await store.put(admin.userId, 'meeting:PA_a', { state: 'in_meeting', meetingId: theirs.body.id });
    expect((await h.call(member, 'POST', '/api/presence/heartbeat', {})).status).toBe(200);

    const seen = await h.call(member, 'GET', `/api/presence?org_id=${h.orgA}`);
    expect(seen.status).toBe(200);
    const items = seen.body.items as Array<Record<string, unknown>>;
    expect(items.map((i) => [i['display_name'], i['state'], i['meetings']])).toEqual([
      ['Admin', 'in_meeting', []],
      ['Host', 'in_meeting', [{ id: ours.body.id, title: 'Weekly sync' }]],
      ['Member', 'online', []],
    ]);
    expect(items.map((i) => i['user_id'])).not.toContain(outsider.userId);
    // With one organization the caller's is implied.
    expect((await h.call(member, 'GET', '/api/presence')).body.items).toHaveLength(3);

    // The outsider sees only org B (itself), and is refused org A.
    const theirList = await h.call(outsider, 'GET', `/api/presence?org_id=${h.orgB}`);
    expect(theirList.body.items.map((i: Record<string, unknown>) => i['user_id'])).toEqual([outsider.userId]);
    expect(theirList.body.items[0].meetings).toEqual([{ id: theirs.body.id, title: 'Their plans' }]);
    expect((await h.call(outsider, 'GET', `/api/presence?org_id=${h.orgA}`)).status).toBe(403);
  });

  it('marks a dashboard away, and refuses bad input with a problem naming the field', async () => {
    const { member, otherHost } = h.users;
    // One dashboard (one session) going online, then hidden.
    const session = { authorization: `Bearer ${await h.token(otherHost)}` };
    const beat = (state: string) => h.call(null, 'POST', '/api/presence/heartbeat', { state }, session);
    expect((await beat('online')).body).toMatchObject({ state: 'online', next_heartbeat_ms: 20_000 });
    const stateOf = async () =>
      (await h.call(member, 'GET', `/api/presence?org_id=${h.orgA}`)).body.items.find(
        (i: Record<string, unknown>) => i['user_id'] === otherHost.userId,
      )?.state;
    expect(await stateOf()).toBe('online');
    expect((await beat('away')).status).toBe(200);
    expect(await stateOf()).toBe('away');

    const busy = await h.call(member, 'POST', '/api/presence/heartbeat', { state: 'busy' });
    expect(busy.status).toBe(400);
    expect(busy.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(busy.body.errors)).toContain('state');
    const nul = await h.call(member, 'GET', `/api/presence?org_id=${encodeURIComponent(`${h.orgA}\u0000`)}`);
    expect(nul.status).toBe(400);
    expect(JSON.stringify(nul.body)).toContain('org_id');
  });
});
