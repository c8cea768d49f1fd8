// Test harness: a real chat service on port 0 against PGlite (always) and PostgreSQL (when DATABASE_URL is
// set), its real gRPC API, and join tokens signed as control signs them (EdDSA, the contract's claims).
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createGrpcClient } from '@origo/kit';
import { joinTokenIssuer } from '@origo/control/testing';
import type { Bus } from '@origo/kit/bus';
import { ChatServiceClient } from '@origo/proto/chat-rpc';
import {
  createCallerResolver,
  createChatService,
  openChatDatabase,
  type ChatDatabase,
  type ChatLimits,
  type ChatService,
} from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL;
const RUN_ID = randomBytes(4).toString('hex');
let counter = 0;

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<ChatDatabase>;
  cleanup(): Promise<void>;
}

function pglite(): Backend {
  return { name: 'pglite', open: () => openChatDatabase({ dataDir: 'memory://' }), cleanup: async () => {} };
}

function postgresBackend(url: string): Backend {
  const created: string[] = [];
  return {
    name: 'postgres',
    open() {
      const service = `chat_t${RUN_ID}_${++counter}`;
      created.push(service);
      return openChatDatabase({ databaseUrl: url, service });
    },
    async cleanup() {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      try {
        for (const name of created.splice(0)) await admin`drop schema if exists ${admin(name)} cascade`;
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

/** PGlite always; PostgreSQL too when DATABASE_URL is set (CI, `npm run test:db`). */
export const backends: Backend[] = [
  pglite(),
  ...(DATABASE_URL !== undefined ? [postgresBackend(DATABASE_URL)] : []),
];

export interface Harness {
  service: ChatService;
  database: ChatDatabase;
  http: string;
  grpc: string;
  client: ChatServiceClient;
  tokens: Awaited<ReturnType<typeof joinTokenIssuer>>;
  close(): Promise<void>;
}

/** A chat service on port 0. Signed-in users are not configured: only join tokens reach REST here. */
export async function startChat(
  backend: Backend,
  limits: Partial<ChatLimits> = {},
  bus?: Bus,
): Promise<Harness> {
  const database = await backend.open();
  const tokens = await joinTokenIssuer();
  const service = await createChatService({
    database,
    limits,
    ...(bus === undefined ? {} : { bus }),
    resolveCaller: createCallerResolver({
      joinTokenKeys: tokens.keys,
      resolvePrincipal: () => Promise.resolve(null),
      meetingLookup: () => Promise.reject(new Error('no control in this test')),
    }),
  });
  const bound = await service.listen();
  const client = createGrpcClient(ChatServiceClient, bound.grpc, { defaultDeadlineMs: 30_000 });
  return {
    service,
    database,
    http: bound.http,
    grpc: bound.grpc,
    client,
    tokens,
    async close() {
      client.close();
      await service.close();
      await database.close();
    },
  };
}

export function uniqueMeeting(): string {
  return `mtg_${randomBytes(6).toString('hex')}`;
}
