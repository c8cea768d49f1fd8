// Test harness: a real billing service on port 0 against PGlite, its real gRPC API, an in-memory bus,
// and callers named by a test header (the principal resolver is a dependency of the service).
import { randomBytes } from 'node:crypto';
import type { Principal } from '@origo/auth/client';
import { createGrpcClient, unary } from '@origo/kit';
import { createBusKv, type BusKv } from '@origo/kit/bus';
import { BillingServiceClient, UsageEvent, type RecordUsageEventsResponse } from '@origo/proto/billing-rpc';
import {
  createBillingService,
  openBillingDatabase,
  type BillingDatabase,
  type BillingServiceDeps,
  type BillingService,
  type Organizations,
} from '../src/index.js';

export type Who = { id: string; superadmin?: boolean; orgs?: Record<string, 'admin' | 'host' | 'member'> };

export function principal(who: Who): Principal {
  return {
    userId: who.id as Principal['userId'],
    email: `${who.id}@example.test`,
    emailVerified: true,
    displayName: who.id,
    superadmin: who.superadmin ?? false,
    memberships: Object.entries(who.orgs ?? {}).map(([orgId, role]) => ({
      orgId: orgId as Principal['memberships'][number]['orgId'],
      role,
    })),
    sessionId: `ses-${who.id}`,
    via: 'access_token',
  };
}

// Response bodies are ad hoc JSON the tests pick apart; typing each one would repeat the route schemas.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ResponseBody = any;

export interface Harness {
  service: BillingService;
  database: BillingDatabase;
  busKv: BusKv;
  http: string;
  client: BillingServiceClient;
  /** Sends usage events over gRPC the way control's and recording's outboxes do. */
  record(events: UsageEvent[]): Promise<RecordUsageEventsResponse>;
  /** A REST call as `who` (no `who`: anonymous). */
  call(
    method: string,
    path: string,
    who?: Who,
    body?: unknown,
  ): Promise<{ status: number; body: ResponseBody }>;
  close(): Promise<void>;
}

/**
 * Stands in for auth: every organization id exists, except those starting with `org_missing`; its name is
 * the id without `org_`, capitalised.
 */
export const TEST_ORGANIZATIONS: Organizations = {
  lookup: (orgId) =>
    Promise.resolve(
      orgId.startsWith('org_missing')
        ? null
        : { id: orgId, name: orgId.slice(4, 5).toUpperCase() + orgId.slice(5) },
    ),
};

export async function startBilling(
  options: {
    now?: () => Date;
    invoicing?: BillingServiceDeps['invoicing'];
    organizations?: Organizations;
  } = {},
): Promise<Harness> {
  const database = await openBillingDatabase({ dataDir: 'memory://' });
  const busKv = await createBusKv({ namespace: `billing-test-${randomBytes(4).toString('hex')}:` });
  const service = await createBillingService({
    database,
    bus: busKv.bus,
    ...(options.now === undefined ? {} : { now: options.now }),
    // No invoice job unless a test asks for one: tests close months through the REST route.
    invoicing: { jobIntervalMs: 0, ...options.invoicing },
    organizations: options.organizations ?? TEST_ORGANIZATIONS,
    resolvePrincipal: async (request) => {
      const header = request.headers['x-test-who'];
      return typeof header === 'string' ? principal(JSON.parse(header) as Who) : null;
    },
  });
  const bound = await service.listen();
  const client = createGrpcClient(BillingServiceClient, bound.grpc, { defaultDeadlineMs: 30_000 });
  return {
    service,
    database,
    busKv,
    http: bound.http,
    client,
    record: (events) => unary(client.recordUsageEvents.bind(client), { events }),
    async call(method, path, who, body) {
      const headers: Record<string, string> = {};
      if (who !== undefined) headers['x-test-who'] = JSON.stringify(who);
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${bound.http}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? null : JSON.parse(text) };
    },
    async close() {
      client.close();
      await service.close();
      await busKv.close();
      await database.close();
    },
  };
}

/** A usage event with the fields a test names; the others are empty. */
export function usageEvent(fields: Partial<UsageEvent> & Pick<UsageEvent, 'eventId' | 'type'>): UsageEvent {
  return UsageEvent.fromPartial(fields);
}
