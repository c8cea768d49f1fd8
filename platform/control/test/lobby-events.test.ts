// LobbyEvents alone: a change published by one replica wakes waiters of another through the bus.
import { afterEach, describe, expect, it } from 'vitest';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import type { MeetingId } from '../src/ids.js';
import { createLobbyEvents } from '../src/lobby-events.js';
import { REDIS_URL } from './helpers.js';

const meeting = 'mtg_AAAAAAAAAAAAAAAAAAAAAA' as MeetingId;
const other = 'mtg_BBBBBBBBBBBBBBBBBBBBBB' as MeetingId;

describe('lobby events', () => {
  const opened: BusKv[] = [];
  afterEach(async () => {
    for (const b of opened.splice(0)) await b.close();
  });
  const bus = async () => {
    const b = await createBusKv({ redisUrl: REDIS_URL, namespace: `lobbyev${process.pid}${Date.now()}:` });
    opened.push(b);
    return b;
  };

  it('wakes waiters of the changed meeting only, on another replica sharing the bus', async () => {
    const shared = await bus();
    const a = await createLobbyEvents(shared.bus);
    const b = await createLobbyEvents(shared.bus);
    const mine = a.next(meeting, 60_000);
    const notMine = a.next(other, 60_000);
    await b.changed(meeting);
    expect(await mine.settled).toBe('changed');
    notMine.cancel();
    expect(await notMine.settled).toBe('timeout');
    await a.close();
    await b.close();
  });

  it('times out, and answers every waiter at close', async () => {
    const shared = await bus();
    const events = await createLobbyEvents(shared.bus);
    expect(await events.next(meeting, 10).settled).toBe('timeout');
    const held = events.next(meeting, 60_000);
    await events.close();
    expect(await held.settled).toBe('closed');
    expect(events.closed).toBe(true);
    expect(await events.next(meeting, 60_000).settled).toBe('closed');
    // A change after close reaches nobody and throws nothing.
    await events.changed(meeting);
  });

  it('logs instead of throwing when the bus cannot take the change (it is already committed)', async () => {
    const shared = await bus();
    const warnings: string[] = [];
    const events = await createLobbyEvents(shared.bus, {
      warn: (_obj, msg) => warnings.push(msg ?? ''),
      error: () => undefined,
    });
    await shared.close();
    await expect(events.changed(meeting)).resolves.toBeUndefined();
    expect(warnings).toEqual(['could not announce a lobby change']);
    await events.close();
  });
});
