// The contract with the control service: host controls arriving on the bus (`room-commands`), the
// participant cap of the join token, and room lifecycle reports over gRPC (ControlService).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, createGrpcServer, createMetrics, type Logger } from '@origo/kit';
import { freePort, waitFor } from '@origo/kit/testing';
import { participantsKey, type BusKv } from '@origo/kit/bus';
import { ROOM_COMMANDS_CHANNEL } from '@origo/control/contracts';
import { ControlServiceService, RoomEventType, type ReportRoomEventRequest } from '@origo/proto/control-rpc';
import { grpcRoomEventReporter } from '../src/index.js';
import { SignalClient, type Json } from './helpers/client.js';
import { logger, startStack, type Stack } from './helpers/harness.js';

let stack: Stack | undefined;
let sockets: SignalClient[] = [];
let stopControl: (() => Promise<void>) | undefined;

afterEach(async () => {
  for (const s of sockets) s.close();
  sockets = [];
  await stack?.close();
  stack = undefined;
  await stopControl?.();
  stopControl = undefined;
});

/** A control service that takes every room event report and keeps it; stopped after each test. */
function fakeControl(): { events: ReportRoomEventRequest[]; server: ReturnType<typeof createGrpcServer> } {
  const events: ReportRoomEventRequest[] = [];
  const server = createGrpcServer({
    service: 'control-fake',
    logger,
    metrics: createMetrics('control-fake', { defaultMetrics: false }),
  });
  server.add(ControlServiceService, {
    reportRoomEvent: async (request) => {
      events.push(request);
      return { applied: true, meetingState: 'live' };
    },
    refreshJoinToken: () => Promise.reject(new Error('not used by this test')),
    getMeeting: () => Promise.reject(new Error('not used by this test')),
  });
  stopControl = () => server.shutdown(500);
  return { events, server };
}

async function join(
  s: Stack,
  identity: string,
  room = 'mtg_1',
  maxParticipants?: number,
  name?: string,
): Promise<{ c: SignalClient; reply: Json }> {
  const c = await SignalClient.open(s.nodes[0]!.wsUrl);
  sockets.push(c);
  const reply = await c.request({
    join: {
      token: await s.token(identity, {
        room,
        ...(maxParticipants ? { maxParticipants } : {}),
        ...(name !== undefined ? { name } : {}),
      }),
    },
  });
  return { c, reply };
}

const command = (body: Record<string, unknown>): Record<string, unknown> => ({
  v: 1,
  command_id: randomUUID(),
  room: 'mtg_1',
  issued_by: 'usr_host',
  issued_at_ms: Date.now(),
  ...body,
});

describe('control service contract', () => {
  it('carries out lock, remove and end commands from the bus and ignores malformed ones', async () => {
    stack = await startStack();
    const bus = stack.nodes[0]!.busKv.bus;
    const alice = await join(stack, 'usr_alice');
    expect(alice.reply).toHaveProperty('joinResponse');
    const bob = await join(stack, 'usr_bob');

    await bus.publish(ROOM_COMMANDS_CHANNEL, { v: 1, type: 'end_room', room: 'mtg_1' });
    await bus.publish(ROOM_COMMANDS_CHANNEL, command({ type: 'set_room_lock', locked: true }));
    await waitFor(
      async () => {
        const late = await join(stack!, 'usr_late');
        return (late.reply['error'] as Json | undefined)?.['code'] === 'ERROR_CODE_ROOM_LOCKED';
      },
      { timeoutMs: 10_000, what: 'join refused while locked' },
    );
    await bus.publish(ROOM_COMMANDS_CHANNEL, command({ type: 'set_room_lock', locked: false }));
    await waitFor(async () => 'joinResponse' in (await join(stack!, 'usr_carol')).reply, {
      timeoutMs: 10_000,
      what: 'join after unlock',
    });

    await bus.publish(ROOM_COMMANDS_CHANNEL, command({ type: 'remove_participant', identity: 'usr_bob' }));
    const notice = await bob.c.next((m) => 'leave' in m);
    expect((notice['leave'] as Json)['reason']).toBe('DISCONNECT_REASON_REMOVED_BY_HOST');

    await bus.publish(ROOM_COMMANDS_CHANNEL, command({ type: 'end_room', reason: 'meeting_cancelled' }));
    const ended = await alice.c.next((m) => 'roomEnded' in m);
    expect(ended['roomEnded']).toEqual({ reason: 'ROOM_END_REASON_CANCELLED' });
    await alice.c.closed;
  });

  it('tells everyone an administrator ended the room when control says an admin ended it', async () => {
    stack = await startStack();
    const bus = stack.nodes[0]!.busKv.bus;
    const byAdmin = await join(stack, 'usr_alice', 'mtg_admin');
    const byHost = await join(stack, 'usr_bob', 'mtg_host');
    await bus.publish(
      ROOM_COMMANDS_CHANNEL,
      command({ type: 'end_room', reason: 'host_ended', by: 'admin', room: 'mtg_admin' }),
    );
    await bus.publish(
      ROOM_COMMANDS_CHANNEL,
      command({ type: 'end_room', reason: 'host_ended', room: 'mtg_host' }),
    );
    expect((await byAdmin.c.next((m) => 'roomEnded' in m))['roomEnded']).toEqual({
      reason: 'ROOM_END_REASON_ADMIN',
    });
    expect((await byHost.c.next((m) => 'roomEnded' in m))['roomEnded']).toEqual({
      reason: 'ROOM_END_REASON_ENDED_BY_HOST',
    });
  });

  it('refuses the join beyond max_participants with ROOM_FULL, but lets a rejoin of the same identity in', async () => {
    stack = await startStack();
    expect((await join(stack, 'usr_a', 'mtg_cap', 2)).reply).toHaveProperty('joinResponse');
    expect((await join(stack, 'usr_b', 'mtg_cap', 2)).reply).toHaveProperty('joinResponse');
    const third = await join(stack, 'usr_c', 'mtg_cap', 2);
    expect((third.reply['error'] as Json)['code']).toBe('ERROR_CODE_ROOM_FULL');
    await third.c.ping();
    expect((await join(stack, 'usr_a', 'mtg_cap', 2)).reply).toHaveProperty('joinResponse');
  });

  it('says when control cannot be reached, keeps the report, and says when control answers again', async () => {
    const said: Array<{ level: string; msg: string }> = [];
    const record =
      (level: string) =>
      (_fields: unknown, msg: string): void => {
        said.push({ level, msg });
      };
    const capture = { warn: record('warn'), info: record('info') } as unknown as Logger;
    const port = await freePort();
    const reporter = grpcRoomEventReporter(() => `127.0.0.1:${port}`, capture, { maxBackoffMs: 200 });
    reporter.report({
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      roomName: 'mtg_down',
      roomSid: 'RM_down',
      participantIdentity: '',
      participantCount: 0,
      reason: '',
    });
    await waitFor(() => said.some((s) => s.level === 'warn' && /control cannot be reached/.test(s.msg)), {
      timeoutMs: 20_000,
      what: 'the warning about an unreachable control',
    });

    const { events, server } = fakeControl();
    await server.listen('127.0.0.1', port);
    await waitFor(() => events.length === 1, { timeoutMs: 20_000, what: 'the kept report delivered' });
    await waitFor(() => said.some((s) => s.level === 'info' && s.msg === 'control reached again'), {
      timeoutMs: 5_000,
      what: 'control reached again',
    });
    reporter.close();
    expect(said.filter((s) => s.level === 'warn')).toHaveLength(1);
  });

  it('reports room started, participants and room ended to ControlService over gRPC', async () => {
    const { events, server } = fakeControl();
    const port = await server.listen('127.0.0.1', 0);
    const reporter = grpcRoomEventReporter(() => `127.0.0.1:${port}`, logger);
    stack = await startStack({ reporter });
    const a = await join(stack, 'usr_a', 'mtg_report', undefined, 'Ada Lovelace');
    const b = await join(stack, 'usr_b', 'mtg_report', undefined, 'Guest Bea');
    b.c.send({ leave: {} });
    await b.c.closed;
    a.c.send({ leave: {} });
    await a.c.closed;
    await waitFor(() => events.some((e) => e.type === RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED), {
      timeoutMs: 10_000,
      what: 'room ended report',
    });
    reporter.close();
    const kinds = events.map((e) => [
      RoomEventType[e.type],
      e.participantIdentity,
      e.participantName,
      e.participantCount,
    ]);
    // Participant events name the person as their join token does, for control's audit log.
    expect(kinds).toEqual([
      ['ROOM_EVENT_TYPE_ROOM_STARTED', '', '', 0],
      ['ROOM_EVENT_TYPE_PARTICIPANT_JOINED', 'usr_a', 'Ada Lovelace', 1],
      ['ROOM_EVENT_TYPE_PARTICIPANT_JOINED', 'usr_b', 'Guest Bea', 2],
      ['ROOM_EVENT_TYPE_PARTICIPANT_LEFT', 'usr_b', 'Guest Bea', 1],
      ['ROOM_EVENT_TYPE_PARTICIPANT_LEFT', 'usr_a', 'Ada Lovelace', 0],
      ['ROOM_EVENT_TYPE_ROOM_ENDED', '', '', 0],
    ]);
    expect(new Set(events.map((e) => e.roomSid)).size).toBe(1);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.every((e) => e.roomName === 'mtg_report')).toBe(true);
    expect(events.at(-1)?.reason).toBe('empty');
  });

  it('dates the end of an emptied room when its last person left, not when the grace ran out', async () => {
    const { events, server } = fakeControl();
    const port = await server.listen('127.0.0.1', 0);
    const reporter = grpcRoomEventReporter(() => `127.0.0.1:${port}`, logger);
    const graceMs = 3_000;
    stack = await startStack({ reporter, config: { ROOM_EMPTY_GRACE_MS: graceMs } });
    const a = await join(stack, 'usr_a', 'mtg_grace', undefined, 'Ada Lovelace');
    a.c.send({ leave: {} });
    await a.c.closed;
    const ended = () => events.find((e) => e.type === RoomEventType.ROOM_EVENT_TYPE_ROOM_ENDED);
    await waitFor(() => ended() !== undefined, { timeoutMs: 20_000, what: 'room ended report' });
    reporter.close();
    const left = events.find((e) => e.type === RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_LEFT);
    // Reported after the grace, dated at the leave: the meeting's end time and length are the real ones.
    const gap = ended()!.occurredAtMs - left!.occurredAtMs;
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThan(graceMs);
  });
});

describe('room event reports while control is unreachable', () => {
  it('keeps retrying past a long outage and delivers every report once, in order', async () => {
    const delivered: ReportRoomEventRequest[] = [];
    let refusing = true;
    let refusals = 0;
    const server = createGrpcServer({
      service: 'control-fake',
      logger,
      metrics: createMetrics('control-fake', { defaultMetrics: false }),
    });
    server.add(ControlServiceService, {
      reportRoomEvent: async (request) => {
        if (refusing) {
          refusals++;
          throw AppError.unavailable('database unavailable');
        }
        delivered.push(request);
        return { applied: true, meetingState: 'live' };
      },
      refreshJoinToken: () => Promise.reject(new Error('not used by this test')),
      getMeeting: () => Promise.reject(new Error('not used by this test')),
    });
    const port = await server.listen('127.0.0.1', 0);
    // Short backoffs stand for the default 5 s ones: 20 refusals in a row is far past the old give-up point.
    const reporter = grpcRoomEventReporter(() => `127.0.0.1:${port}`, logger, { maxBackoffMs: 100 });
    const base = { roomName: 'mtg_outage', roomSid: 'RM_1', reason: '' };
    reporter.report({
      ...base,
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantIdentity: '',
      participantCount: 0,
    });
    reporter.report({
      ...base,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantIdentity: 'usr_a',
      participantCount: 1,
    });
    await waitFor(() => refusals >= 20, { timeoutMs: 30_000, what: 'twenty refused attempts' });
    refusing = false;
    await waitFor(() => delivered.length === 2, { timeoutMs: 30_000, what: 'both reports delivered' });
    reporter.close();
    expect(delivered.map((e) => RoomEventType[e.type])).toEqual([
      'ROOM_EVENT_TYPE_ROOM_STARTED',
      'ROOM_EVENT_TYPE_PARTICIPANT_JOINED',
    ]);
    expect(delivered[0]!.occurredAtMs).toBeLessThanOrEqual(delivered[1]!.occurredAtMs);
  });
});

/**
 * The store behind `inner`, where the first `count` reads of `key` wait for each other: joins that read the
 * room at the same moment, before either has written itself in.
 */
function readsMeetAt(inner: BusKv, key: string, count: number): BusKv {
  const waiting: Array<() => void> = [];
  const kv = new Proxy(inner.kv, {
    get(target, prop) {
      if (prop === 'hgetall')
        return async (k: string) => {
          if (k.endsWith(key) && waiting.length < count) {
            await new Promise<void>((release) => {
              waiting.push(release);
              if (waiting.length === count) for (const r of waiting) r();
            });
          }
          return target.hgetall(k);
        };
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    bus: inner.bus,
    kv,
    kind: inner.kind,
    namespace: inner.namespace,
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

describe('the number of people a join reports', () => {
  it('counts both of two people who join at the same moment', async () => {
    const { events, server } = fakeControl();
    const port = await server.listen('127.0.0.1', 0);
    const reporter = grpcRoomEventReporter(() => `127.0.0.1:${port}`, logger);
    stack = await startStack({
      reporter,
      wrapBusKv: (inner) => readsMeetAt(inner, participantsKey('mtg_race'), 2),
    });
    const [a, b] = await Promise.all([join(stack, 'usr_a', 'mtg_race'), join(stack, 'usr_b', 'mtg_race')]);
    expect(a.reply).toHaveProperty('joinResponse');
    expect(b.reply).toHaveProperty('joinResponse');
    const joined = () => events.filter((e) => e.type === RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED);
    await waitFor(() => joined().length === 2, { timeoutMs: 10_000, what: 'both join reports' });
    reporter.close();
    // Control keeps the count of the last report it applies.
    expect(joined().at(-1)?.participantCount).toBe(2);
  });
});
