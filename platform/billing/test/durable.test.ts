// The durable path of room events into billing, with the real control service: billing is stopped while a
// meeting runs (start, joins, leaves, end reported by "signaling" over control's gRPC), the events wait in
// control's outbox, and when billing starts again (same address, same data) its `billing.ready` wake-up
// makes control hand them over at once. Usage is exact; an event reported twice to control, or a batch
// delivered twice to billing (a pump whose lease ran out), counts once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcClient, createLogger, generateEd25519Jwk, unary } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import {
  controlSchema,
  createControlService,
  createGrpcBillingQuota,
  openControlDatabase,
  type ControlDatabase,
  type ControlService,
} from '@origo/control';
import { ControlServiceClient, RoomEventType } from '@origo/proto/control-rpc';
import { BillingServiceClient, UsageEvent } from '@origo/proto/billing-rpc';
import {
  createBillingService,
  openBillingDatabase,
  type BillingDatabase,
  type BillingService,
} from '../src/index.js';
import { principal, TEST_ORGANIZATIONS, type Who } from './helpers.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-30T10:00:00Z');
const HOST: Who = { id: 'usr_host', orgs: { org_dur: 'admin' } };
const silent = createLogger({ service: 'test', level: 'silent' });

let busKv: BusKv;
let controlDb: ControlDatabase;
let control: ControlService;
let controlGrpc: ControlServiceClient;
let controlHttp: string;
let dataDir: string;
let billingGrpc: string;
let billing: { service: BillingService; database: BillingDatabase } | undefined;

async function startBilling(grpcPort: number): Promise<string> {
  const database = await openBillingDatabase({ dataDir });
  const service = await createBillingService({
    database,
    bus: busKv.bus,
    resolvePrincipal: async () => null,
    organizations: TEST_ORGANIZATIONS,
  });
  billing = { service, database };
  return (await service.listen({ host: '127.0.0.1', httpPort: 0, grpcPort })).grpc;
}

async function stopBilling(): Promise<void> {
  await billing?.service.close();
  await billing?.database.close();
  billing = undefined;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'origo-billing-durable-'));
  busKv = await createBusKv({ namespace: `billing-durable-${randomBytes(4).toString('hex')}:` });
  // Billing runs once to have an address, then stops: control keeps that address, as in a deployment.
  billingGrpc = await startBilling(0);
  await stopBilling();

  controlDb = await openControlDatabase({ dataDir: 'memory://' });
  control = await createControlService({
    database: controlDb,
    busKv,
    joinTokenKey: generateEd25519Jwk(),
    resolvePrincipal: async (request) => {
      const header = request.headers['x-test-who'];
      return typeof header === 'string' ? principal(JSON.parse(header) as Who) : null;
    },
    logger: silent,
    billing: createGrpcBillingQuota({ target: async () => billingGrpc, logger: silent }),
    // Retries far apart: within the test only billing's wake-up can bring the rows over.
    usageOutbox: { retryBaseMs: 120_000, retryMaxMs: 120_000 },
  });
  const bound = await control.listen({ host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
  controlHttp = bound.http;
  controlGrpc = createGrpcClient(ControlServiceClient, bound.grpc);
});

afterAll(async () => {
  controlGrpc?.close();
  await stopBilling();
  await control?.close();
  await controlDb?.close();
  await busKv?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

const report = (
  meetingId: string,
  eventId: string,
  type: RoomEventType,
  minute: number,
  identity = '',
  participantCount = 0,
  bytesSent = 0,
) =>
  unary(controlGrpc.reportRoomEvent.bind(controlGrpc), {
    eventId,
    roomName: meetingId,
    roomSid: 'RM_durable',
    type,
    participantIdentity: identity,
    participantName: '',
    participantCount,
    occurredAtMs: T0 + minute * MIN,
    reason: '',
    bytesSent,
  });

describe('room events into billing while billing is down', () => {
  it('meters every event once billing is back, exactly, and an event delivered twice counts once', async () => {
    const created = await fetch(`${controlHttp}/api/meetings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-test-who': JSON.stringify(HOST) },
      body: JSON.stringify({ org_id: 'org_dur', title: 'Durable' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const meetingId = ((await created.json()) as { id: string }).id;

    const { ROOM_EVENT_TYPE_ROOM_STARTED: STARTED, ROOM_EVENT_TYPE_ROOM_ENDED: ENDED } = RoomEventType;
    const { ROOM_EVENT_TYPE_PARTICIPANT_JOINED: JOINED, ROOM_EVENT_TYPE_PARTICIPANT_LEFT: LEFT } =
      RoomEventType;
    const ids = Array.from({ length: 7 }, () => randomUUID());
    // ada 10:00-10:30, bob 10:05-10:25, cy 10:10 until the room ends at 10:30 (she never leaves).
    await report(meetingId, ids[0]!, STARTED, 0);
    await report(meetingId, ids[1]!, JOINED, 0, 'ada', 1);
    await report(meetingId, ids[2]!, JOINED, 5, 'bob', 2);
    await report(meetingId, ids[3]!, JOINED, 10, 'cy', 3);
    await report(meetingId, ids[4]!, LEFT, 25, 'bob', 2);
    // Signaling retries a report whose answer it lost: control records it once.
    await report(meetingId, ids[4]!, LEFT, 25, 'bob', 2);
    await report(meetingId, ids[5]!, LEFT, 30, 'ada', 1);
    // The router's egress, read at 10:15 and when it closed (signaling names a reading by its total).
    const egress = (minute: number, bytes: number) =>
      report(
        meetingId,
        `egress:${meetingId}:RM_durable:${bytes}`,
        RoomEventType.ROOM_EVENT_TYPE_EGRESS,
        minute,
        '',
        0,
        bytes,
      );
    await egress(15, 4_000_000);
    await egress(30, 9_000_000);
    await egress(30, 9_000_000);
    await report(meetingId, ids[6]!, ENDED, 30);

    // Billing is down: everything waits in control's outbox, written with each event.
    await control.usageOutbox.idle();
    expect(await control.usageOutbox.pendingCount()).toBe(9);
    const waiting = await controlDb.db.select().from(controlSchema.outbox);
    expect(waiting.every((row) => row.attempts >= 1 && row.lastError !== null)).toBe(true);

    // Billing starts again on its address with its data, and says so on the bus.
    expect(await startBilling(Number(new URL(`http://${billingGrpc}`).port))).toBe(billingGrpc);
    await expect.poll(() => control.usageOutbox.pendingCount(), { timeout: 30_000 }).toBe(0);

    const usage = () =>
      billing!.service.usage.perDay({ orgId: 'org_dur', from: '2026-11-30', to: '2026-11-30' });
    const exact = [
      {
        orgId: 'org_dur',
        day: '2026-11-30',
        participantMs: (30 + 20 + 20) * MIN,
        meetingMs: 30 * MIN,
        recordingMs: 0,
        storageGbDays: 0,
        egressBytes: 9_000_000,
      },
    ];
    expect(await usage()).toEqual(exact);

    // A pump whose lease ran out sends a batch billing already took: it counts once.
    const client = createGrpcClient(BillingServiceClient, billingGrpc);
    try {
      const again = await unary(client.recordUsageEvents.bind(client), {
        events: [
          UsageEvent.fromPartial({
            eventId: ids[1]!,
            type: 'participant_joined',
            orgId: 'org_dur',
            meetingId,
            roomSid: 'RM_durable',
            identity: 'ada',
            occurredAtMs: T0,
          }),
        ],
      });
      expect(again).toEqual({ applied: 0, duplicates: 1, invalid: 0 });
    } finally {
      client.close();
    }
    // Signaling retries the end once more: control recorded it, so nothing new goes to billing.
    await report(meetingId, ids[6]!, ENDED, 30);
    await control.usageOutbox.idle();
    expect(await control.usageOutbox.pendingCount()).toBe(0);
    expect(await usage()).toEqual(exact);
  });
});
