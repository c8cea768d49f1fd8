// Control with the billing service: the plan's participant cap at join time, the meeting length cap with
// a fake clock, fail-open when billing does not answer, and room events handed to billing's metering
// through control's outbox. Billing here is a stand-in gRPC server with the free plan's caps (billing's own
// tests cover its decisions, and the outbox with a real billing in billing/test/durable.test.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcServer, createLogger, createMetrics, type GrpcServer } from '@origo/kit';
import { BillingServiceService, type UsageEvent } from '@origo/proto/billing-rpc';
import { RoomEventType } from '@origo/proto/control-rpc';
import { createGrpcBillingQuota } from '../src/billing.js';
import { ROOM_COMMANDS_CHANNEL, roomCommandSchema, type RoomCommand } from '../src/contracts.js';
import { backends, meetingBody, startHarness, type Harness } from './helpers.js';
import { closeGrpcClients, reportEvent } from './support.js';

const silent = createLogger({ service: 'test', level: process.env.BILLING_TEST_LOG ?? 'silent' });
const FREE = {
  planId: 'free',
  planName: 'Free',
  maxParticipants: 100,
  maxMeetingMinutes: 40,
  recordingAllowed: false,
};

async function fakeBilling(): Promise<{
  server: GrpcServer;
  address: string;
  checks: number[];
  events: UsageEvent[];
}> {
  const checks: number[] = [];
  const events: UsageEvent[] = [];
  const server = createGrpcServer({
    service: 'billing',
    logger: silent,
    metrics: createMetrics('billing', { defaultMetrics: false }),
  });
  server.add(BillingServiceService, {
    async checkJoin(request) {
      checks.push(request.participantCount);
      const full = request.participantCount >= FREE.maxParticipants;
      return {
        ...FREE,
        allowed: !full,
        limit: full ? 'max_participants' : '',
        message: full
          ? 'This meeting has reached the 100-participant limit of the Free plan; upgrade to raise it.'
          : '',
      };
    },
    async getOrgPlan() {
      return FREE;
    },
    async checkRecording() {
      return {
        allowed: false,
        limit: 'recording_allowed',
        message: 'The Free plan does not include recording.',
        planId: FREE.planId,
        planName: FREE.planName,
        recordingHours: 0,
        recordingMsUsed: 0,
        storageGb: 0,
        storageBytesUsed: 0,
      };
    },
    async recordUsageEvents(request) {
      events.push(...request.events);
      return { applied: request.events.length, duplicates: 0, invalid: 0 };
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  return { server, address: `127.0.0.1:${port}`, checks, events };
}

describe.each(backends)('plan limits from billing ($name)', (backend) => {
  let h: Harness;
  let billing: Awaited<ReturnType<typeof fakeBilling>>;
  let clock = Date.parse('2026-11-30T09:00:00Z');
  const commands: RoomCommand[] = [];
  beforeAll(async () => {
    billing = await fakeBilling();
    h = await startHarness(
      backend,
      `bill${randomUUID().slice(0, 6)}`,
      {},
      {
        billing: createGrpcBillingQuota({ target: async () => billing.address, logger: silent }),
        clock: () => clock,
      },
    );
    await h.busKv.bus.subscribe(ROOM_COMMANDS_CHANNEL, (m) => {
      commands.push(roomCommandSchema.parse(m));
    });
  });
  afterAll(async () => {
    closeGrpcClients();
    await h?.close();
    await billing?.server.shutdown(1000);
    await backend.cleanup();
  });

  const create = async (): Promise<string> => {
    const created = await h.call(
      h.users.host,
      'POST',
      '/api/meetings',
      meetingBody({ org_id: h.orgA, participant_cap: 300 }),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };

  it("refuses a free organization's 101st participant with a problem naming the limit and how to raise it", async () => {
    const id = await create();
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 1,
    });
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantIdentity: 'usr_99',
      participantCount: 99,
    });
    const hundredth = await h.call(h.users.member, 'POST', `/api/meetings/${id}/join`, {});
    expect(hundredth.status, JSON.stringify(hundredth.body)).toBe(200);
    // The token carries the plan's cap, not the meeting's 300, so signaling refuses extra joins too.
    const claims = JSON.parse(
      Buffer.from(String(hundredth.body.token).split('.')[1]!, 'base64url').toString(),
    );
    expect(claims.max_participants).toBe(100);

    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantIdentity: h.users.member.userId,
      participantCount: 100,
    });
    const refused = await h.call(h.users.admin, 'POST', `/api/meetings/${id}/join`, {});
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      reason: 'plan_max_participants',
      detail: expect.stringMatching(/100-participant limit of the Free plan; upgrade/),
    });
    expect(billing.checks.slice(-2)).toEqual([99, 100]);
  });

  it("names the plan's limit, not a full meeting, when a meeting's own default cap is the plan's", async () => {
    // A meeting made without a cap gets 100 of its own, the free plan's figure: both limits are reached at
    // once, and the refusal that says how to raise the limit wins.
    const created = await h.call(h.users.host, 'POST', '/api/meetings', meetingBody({ org_id: h.orgA }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    expect(created.body.participant_cap).toBe(100);
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 1,
    });
    await reportEvent(h, {
      roomName: id,
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantIdentity: 'usr_100',
      participantCount: 100,
    });
    const refused = await h.call(h.users.admin, 'POST', `/api/meetings/${id}/join`, {});
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'RESOURCE_EXHAUSTED', reason: 'plan_max_participants' });
  });

  it('tells a host at join time that the plan has no recording, and why, so Record is not offered', async () => {
    const id = await create();
    const host = await h.call(h.users.host, 'POST', `/api/meetings/${id}/join`, {});
    expect(host.status, JSON.stringify(host.body)).toBe(200);
    expect(host.body.grants.host).toBe(true);
    expect(host.body.recording).toEqual({
      allowed: false,
      reason: 'The Free plan does not include recording.',
    });
    // Someone who cannot record is not told about the plan.
    const member = await h.call(h.users.member, 'POST', `/api/meetings/${id}/join`, {});
    expect(member.status).toBe(200);
    expect(member.body.grants.host).toBe(false);
    expect(member.body.recording).toBeNull();
  });

  it("hands every room event to billing's metering with the meeting organization, once", async () => {
    const id = await create();
    const eventId = randomUUID();
    await reportEvent(h, {
      eventId,
      roomName: id,
      roomSid: 'RM_M',
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantIdentity: 'usr_x',
      participantCount: 1,
      occurredAtMs: 1_700_000_000_000,
    });
    const mine = () => billing.events.filter((e) => e.eventId === eventId);
    await expect.poll(mine, { timeout: 10_000 }).toEqual([
      {
        eventId,
        type: 'participant_joined',
        orgId: h.orgA,
        meetingId: id,
        roomSid: 'RM_M',
        identity: 'usr_x',
        occurredAtMs: 1_700_000_000_000,
        participantCount: 1,
        recordingId: '',
        bytes: 0,
        durationMs: 0,
      },
    ]);
    await h.service.usageOutbox.idle();
    expect(await h.service.usageOutbox.pendingCount()).toBe(0);
    // Signaling's retry of the same event is recorded once, and not handed over again.
    await reportEvent(h, {
      eventId,
      roomName: id,
      roomSid: 'RM_M',
      type: RoomEventType.ROOM_EVENT_TYPE_PARTICIPANT_JOINED,
      participantIdentity: 'usr_x',
      participantCount: 1,
      occurredAtMs: 1_700_000_000_000,
    });
    await h.service.usageOutbox.idle();
    expect(mine()).toHaveLength(1);
  });

  it('warns 5 minutes before the 40-minute cap of the free plan, then ends the meeting for everyone', async () => {
    const id = await create();
    const start = clock;
    await reportEvent(h, {
      roomName: id,
      roomSid: 'RM_T',
      type: RoomEventType.ROOM_EVENT_TYPE_ROOM_STARTED,
      participantCount: 1,
      occurredAtMs: start,
    });
    const mine = () => commands.filter((c) => c.room === id);
    const timeCaps = h.service.timeCaps!;

    clock = start + 34 * 60_000;
    expect((await timeCaps.sweep()).warned).not.toContain(id);
    clock = start + 35 * 60_000;
    expect((await timeCaps.sweep()).warned).toContain(id);
    clock = start + 36 * 60_000;
    expect((await timeCaps.sweep()).warned).not.toContain(id);
    // Commands travel over the bus (Redis in the db suite): they arrive after the sweep returns.
    await expect.poll(mine, { timeout: 10_000 }).toEqual([
      expect.objectContaining({
        type: 'time_limit_warning',
        ends_at_ms: start + 40 * 60_000,
        limit_minutes: 40,
        plan_name: 'Free',
      }),
    ]);
    expect((await h.call(h.users.host, 'GET', `/api/meetings/${id}`)).body.state).toBe('live');

    clock = start + 40 * 60_000;
    expect((await timeCaps.sweep()).ended).toContain(id);
    await expect
      .poll(() => mine().map((c) => c.type), { timeout: 10_000 })
      .toEqual(['time_limit_warning', 'end_room']);
    expect(mine()[1]).toMatchObject({ type: 'end_room', reason: 'time_limit' });
    expect((await h.call(h.users.host, 'GET', `/api/meetings/${id}`)).body.state).not.toBe('live');
    expect((await timeCaps.sweep()).ended).not.toContain(id);
  });
});

describe('billing unreachable', () => {
  it('lets the join through under the meeting cap (fail open) and logs a warning', async () => {
    const warnings: string[] = [];
    const logger = createLogger({ service: 'test', level: 'silent' });
    logger.warn = ((_obj: unknown, msg?: string) => {
      warnings.push(String(msg));
    }) as typeof logger.warn;
    const backend = backends[0]!;
    const h = await startHarness(
      backend,
      `billdown${randomUUID().slice(0, 6)}`,
      {},
      {
        // Nothing listens on port 9 of loopback.
        billing: createGrpcBillingQuota({ target: async () => '127.0.0.1:9', logger, deadlineMs: 300 }),
        clock: () => Date.now(),
      },
    );
    try {
      const created = await h.call(h.users.host, 'POST', '/api/meetings', meetingBody({ org_id: h.orgA }));
      const joined = await h.call(h.users.member, 'POST', `/api/meetings/${created.body.id}/join`, {});
      expect(joined.status).toBe(200);
      expect(warnings.some((w) => /fail open/.test(w))).toBe(true);
      expect(await h.service.timeCaps!.sweep()).toEqual({ warned: [], ended: [] });
    } finally {
      await h.close();
    }
  });
});
