// Recording with the real billing service (PGlite): the organization's plan is asked when a recording
// starts (no recording in the plan, the month's recording hours used: refused with a problem naming the
// limit and how to raise it; billing unreachable: fail open with a warning), and the recording events the
// store writes into the outbox reach billing's metering (recording time, storage until deleted).
// No media is needed: the room has nobody publishing, so a start the plan allows ends in 412.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { createCallerResolver } from '@origo/control/meeting-access';
import { joinTokenIssuer } from '@origo/control/testing';
import {
  createBillingService,
  openBillingDatabase,
  type BillingDatabase,
  type BillingService,
} from '@origo/billing';
import { createGrpcRecordingBilling } from '../src/billing.js';
import type { RtpForwarder } from '../src/forwarder.js';
import {
  createRecordingService,
  openRecordingDatabase,
  type RecordingDatabase,
  type RecordingService,
} from '../src/service.js';
import { LocalStorage } from '../src/storage.js';
import { newRecordingId } from '../src/store.js';

const MIN = 60_000;
const ROOT = { id: 'usr_root' };

// A room on the SFU with nobody publishing: a start the plan allows gets 412, and nothing records.
const emptyRoom: RtpForwarder = {
  tracks: () => Promise.resolve([]),
  start: () => Promise.reject(new Error('nothing to forward')),
  requestKeyframe: () => Promise.resolve(),
  stop: () => Promise.resolve(),
  close: () => undefined,
};

describe('recording under the organization plan', () => {
  let dir: string;
  let busKv: BusKv;
  let billingDb: BillingDatabase;
  let billing: BillingService;
  let billingGrpc: string;
  let tokens: Awaited<ReturnType<typeof joinTokenIssuer>>;
  const services: Array<{ service: RecordingService; database: RecordingDatabase }> = [];

  /** A recording service; meetings `mtg_<x>` belong to organization `org_<x>`. */
  const startRecording = async (
    target: string,
    logger = createLogger({ service: 'rec', level: 'silent' }),
  ) => {
    const database = await openRecordingDatabase({ dataDir: 'memory://' });
    const service = await createRecordingService({
      database,
      storage: new LocalStorage(join(dir, 'recordings')),
      forwarder: emptyRoom,
      resolveCaller: createCallerResolver({
        joinTokenKeys: tokens.keys,
        resolvePrincipal: () => Promise.resolve(null),
        meetingLookup: () => Promise.reject(new Error('no control in this test')),
      }),
      workDir: join(dir, 'work'),
      rtpHost: '127.0.0.1',
      bus: busKv.bus,
      meetings: async (meetingId) => ({
        orgId: meetingId.replace(/^mtg_/, 'org_'),
        hostId: 'usr_alice',
        title: `Meeting ${meetingId}`,
      }),
      billing: createGrpcRecordingBilling({ target: async () => target, logger, deadlineMs: 2000 }),
      retentionSweepMs: 0,
      logger,
    });
    const base = (await service.listen()).http;
    services.push({ service, database });
    return { service, base };
  };

  const start = async (base: string, meetingId: string) => {
    const host = await tokens.sign({ identity: 'usr_alice', room: meetingId, host: true });
    const response = await fetch(`${base}/api/meetings/${meetingId}/recordings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host}` },
    });
    const list = await fetch(`${base}/api/meetings/${meetingId}/recordings`, {
      headers: { authorization: `Bearer ${host}` },
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: (await response.json()) as Record<string, unknown>,
      recordings: ((await list.json()) as { recordings: unknown[] }).recordings,
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-rec-billing-'));
    busKv = await createBusKv({});
    tokens = await joinTokenIssuer();
    billingDb = await openBillingDatabase({ dataDir: 'memory://' });
    billing = await createBillingService({
      database: billingDb,
      bus: busKv.bus,
      resolvePrincipal: async () => null,
      // Nobody calls billing's REST here; subscriptions are set through the store.
      organizations: { lookup: (id) => Promise.resolve({ id, name: id }) },
    });
    billingGrpc = (await billing.listen()).grpc;
    await billing.plans.subscribe('org_pro', 'pro', ROOT);
    await billing.plans.put(
      'hourly',
      {
        name: 'Hourly',
        maxParticipants: 50,
        maxMeetingMinutes: 0,
        recordingAllowed: true,
        recordingHours: 1,
        storageGb: 0,
        priceMonthlyCents: 500,
        currency: 'USD',
        active: true,
      },
      ROOT,
    );
    await billing.plans.subscribe('org_hours', 'hourly', ROOT);
  });
  afterAll(async () => {
    for (const { service, database } of services) {
      await service.close();
      await database.close();
    }
    await billing?.close();
    await billingDb?.close();
    await busKv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a free organization with a problem naming the limit and how to raise it; nothing starts', async () => {
    const { base } = await startRecording(billingGrpc);
    const refused = await start(base, 'mtg_free');
    expect(refused.status).toBe(403);
    expect(refused.type).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      reason: 'plan_recording_allowed',
      detail: expect.stringMatching(/Free plan does not include recording/),
    });
    expect(String(refused.body.detail)).toMatch(
      /To raise it, the organization needs a plan with recording, which the operator/,
    );
    expect(refused.recordings).toEqual([]);

    // A paid plan lets it through to the recorder (which finds nobody publishing).
    const allowed = await start(base, 'mtg_pro');
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(412);
  });

  it("meters recordings through the outbox, and refuses once the month's recording hours are used", async () => {
    const { service, base } = await startRecording(billingGrpc);
    // A recording of an hour, 2 GB, as the recorder leaves it: started, stopped, ready. Billing places the
    // hour from the start, so the start is at most an hour ago and never before this UTC month began: the
    // whole hour counts against this month whenever the test runs.
    const now = new Date();
    const monthBegan = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const startedAt = new Date(Math.max(now.getTime() - 60 * MIN, monthBegan));
    const id = newRecordingId();
    const actor = { id: 'usr_alice' };
    await service.store.create(
      {
        id,
        meetingId: 'mtg_hours',
        storage: 'local',
        storageKey: `mtg_hours/${id}.mp4`,
        tracks: [],
        recorderId: 'local',
        orgId: 'org_hours',
        hostId: 'usr_alice',
        meetingTitle: 'Meeting mtg_hours',
        startedAt,
      },
      actor,
    );
    const stoppedAt = new Date(startedAt.getTime() + 60 * MIN);
    await service.store.transition(id, 'recording', 'stopping', 'recording.stopped', actor, { stoppedAt });
    const ready = await service.store.transition(id, 'stopping', 'ready', 'recording.ready', actor, {
      bytes: 2e9,
      durationMs: 60 * MIN,
    });
    expect(ready?.status).toBe('ready');
    // Written with each change; the pump hands them over.
    service.usageOutbox.kick();
    await expect.poll(() => service.usageOutbox.pendingCount(), { timeout: 30_000 }).toBe(0);

    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const usage = await billing.usage.perDay({
      orgId: 'org_hours',
      from: day(startedAt.getTime()),
      to: day(stoppedAt.getTime()),
    });
    expect(usage.reduce((sum, u) => sum + u.recordingMs, 0)).toBe(60 * MIN);
    expect(await billing.usage.recordings.storedBytes('org_hours')).toBe(2e9);

    const refused = await start(base, 'mtg_hours');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      reason: 'plan_recording_hours',
      detail: expect.stringMatching(/used the 1 recording hour its Hourly plan includes this month/),
    });

    // Deleting it frees the storage in billing's metering.
    await service.store.delete(id, actor);
    service.usageOutbox.kick();
    await expect.poll(() => service.usageOutbox.pendingCount(), { timeout: 30_000 }).toBe(0);
    expect(await billing.usage.recordings.storedBytes('org_hours')).toBe(0);
  });

  it('starts without a plan check when billing does not answer (fail open), and logs a warning', async () => {
    const warnings: string[] = [];
    const logger = createLogger({ service: 'rec', level: 'silent' });
    logger.warn = ((_obj: unknown, msg?: string) => {
      warnings.push(String(msg));
    }) as typeof logger.warn;
    // Nothing listens on port 9 of loopback.
    const { base } = await startRecording('127.0.0.1:9', logger);
    const passed = await start(base, 'mtg_free');
    expect(passed.status, JSON.stringify(passed.body)).toBe(412);
    expect(warnings.some((w) => /recording check.*fail open/.test(w))).toBe(true);
  });
});
