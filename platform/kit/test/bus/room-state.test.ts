import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBusKv,
  participantsKey,
  placementKey,
  readParticipantNames,
  readPlacement,
  readRoomParticipants,
  type BusKv,
} from '@origo/kit/bus';

// What signaling writes (signaling/src/store.ts), read back the way control and the recorder read it.
describe('room state in the shared kv', () => {
  let busKv: BusKv;
  const room = 'mtg_roomstate';
  beforeAll(async () => {
    busKv = await createBusKv({ namespace: `roomstate${randomBytes(4).toString('hex')}:` });
  });
  afterAll(async () => {
    await busKv.close();
  });

  const entry = (sid: string, name: string, joinedAt: number, isHost = false) =>
    JSON.stringify({
      nodeId: 'sig-1',
      info: { sid, identity: `usr_${sid}`, name, state: 1, tracks: [], joinedAt, isHost },
    });

  it('reads the placement, or nothing for a room no router serves', async () => {
    expect(await readPlacement(busKv.kv, room)).toBeUndefined();
    const placement = { sid: 'RM_1', address: '127.0.0.1:5001', workerId: 'w0', createdAt: 1 };
    await busKv.kv.set(placementKey(room), JSON.stringify(placement));
    expect(await readPlacement(busKv.kv, room)).toEqual(placement);
  });

  it('lists participants oldest first and skips entries that do not parse', async () => {
    await busKv.kv.hset(participantsKey(room), {
      PA_2: entry('PA_2', 'Bea', 2000),
      PA_1: entry('PA_1', 'Ann', 1000, true),
      PA_3: '{not json',
      PA_4: JSON.stringify({ nodeId: 'sig-1', info: { sid: 'PA_4', name: 'No identity', joinedAt: 5 } }),
      PA_5: entry('PA_5', '', 3000),
    });
    const people = await readRoomParticipants(busKv.kv, room);
    expect(people.map((p) => [p.sid, p.identity, p.name, p.joinedAt, p.isHost, p.nodeId])).toEqual([
      ['PA_1', 'usr_PA_1', 'Ann', 1000, true, 'sig-1'],
      ['PA_2', 'usr_PA_2', 'Bea', 2000, false, 'sig-1'],
      ['PA_5', 'usr_PA_5', '', 3000, false, 'sig-1'],
    ]);
    // Names by sid, as the recorder labels tiles: nameless entries are left out.
    expect([...(await readParticipantNames(busKv.kv, room))]).toEqual([
      ['PA_1', 'Ann'],
      ['PA_2', 'Bea'],
    ]);
  });
});
