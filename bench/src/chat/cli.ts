// Chat figures: delivery latency between two participants (send on one signaling socket until the other
// socket receives it, through signaling, the chat role and the room bus), and the messages per second
// one chat role stores (gRPC PostMessage from concurrent senders, PGlite on disk as `npm start` uses).
//   npm run bench:chat -w @origo/bench -- [--messages 500] [--interval-ms 50] [--seconds 10] [--concurrency 32]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { AppError, createLogger, generateEd25519Jwk, unary } from '@origo/kit';
import { createBusKv } from '@origo/kit/bus';
import { createChatService, openChatDatabase } from '@origo/chat';
import { ChatServiceClient } from '@origo/proto/chat-rpc';
import { createSfuWorkerService } from '@origo/sfu';
import {
  createSignalingService,
  grpcChatBackend,
  localKeySource,
  signalingConfig,
  signJoinToken,
} from '@origo/signaling';
import { createGrpcClient } from '@origo/kit';
import { machineInfo } from '../machine.js';
import { fmt, percentile, round, table } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '500' },
    'interval-ms': { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '32' },
    out: { type: 'string' },
  },
});
const MESSAGES = Number(args.messages);
const INTERVAL_MS = Number(args['interval-ms']);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);

type Json = Record<string, unknown>;

/** A signaling socket that answers requests by id and hands pushes to a listener. */
class Socket {
  private readonly waiting = new Map<string, (m: Json) => void>();
  private seq = 0;
  onPush: (m: Json) => void = () => undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Json;
      const id = m['requestId'];
      const done = typeof id === 'string' && id !== '' ? this.waiting.get(id) : undefined;
      if (done) {
        this.waiting.delete(id as string);
        done(m);
      } else this.onPush(m);
    });
  }

  static open(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new Socket(ws)));
      ws.once('error', reject);
    });
  }

  request(body: Json): Promise<Json> {
    const requestId = `r${++this.seq}`;
    return new Promise((resolve) => {
      this.waiting.set(requestId, resolve);
      this.ws.send(JSON.stringify({ requestId, ...body }));
    });
  }
}

async function main(): Promise<void> {
  const logger = createLogger({ service: 'bench-chat', level: 'warn' });
  const dataDir = mkdtempSync(join(tmpdir(), 'origo-bench-chat-'));
  const database = await openChatDatabase({
    dataDir: process.env['BENCH_CHAT_MEMORY'] === '1' ? 'memory://' : dataDir,
  });
  // The bench measures capacity, not the per-person rate limit.
  const chat = await createChatService({
    database,
    limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000 },
    resolveCaller: () => Promise.reject(AppError.unauthenticated()),
  });
  const { grpc } = await chat.listen();
  const sfu = createSfuWorkerService({ workerId: 'bench', nodeId: 'bench', logger });
  const { grpcAddress } = await sfu.listen();
  const busKv = await createBusKv({ logger });
  const jwk = generateEd25519Jwk();
  const backend = grpcChatBackend(() => grpc);
  const signaling = createSignalingService({
    config: signalingConfig({ SIGNAL_RATE_PER_SECOND: 10_000, SIGNAL_RATE_BURST: 10_000 }),
    logger,
    busKv,
    keys: localKeySource(jwk),
    sfuDirectory: async () => [grpcAddress],
    chat: backend,
  });
  const { wsUrl } = await signaling.listen(0, '127.0.0.1');

  try {
    // 1. Delivery latency, A to B, one message every INTERVAL_MS.
    const join = async (identity: string) => {
      const s = await Socket.open(wsUrl);
      const token = await signJoinToken({ privateJwk: jwk, identity, room: 'bench-room' });
      const r = await s.request({ join: { token } });
      if (!r['joinResponse']) throw new Error(`join failed: ${JSON.stringify(r)}`);
      return s;
    };
    const a = await join('alice');
    const b = await join('bob');
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let received = 0;
    let allReceived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    b.onPush = (m) => {
      const msg = m['chatMessage'] as Json | undefined;
      if (!msg) return;
      const at = sentAt.get(msg['text'] as string);
      if (at !== undefined) latencies.push(performance.now() - at);
      if (++received === MESSAGES) allReceived();
    };
    const replies: Promise<Json>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const text = `bench ${i}`;
      sentAt.set(text, performance.now());
      replies.push(a.request({ sendChat: { text } }));
      if (INTERVAL_MS > 0) await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    const failed = (await Promise.all(replies)).filter((r) => !r['chatMessage']).length;
    await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
    a.ws.close();
    b.ws.close();

    // 2. Messages per second the chat role stores: CONCURRENCY senders in 8 meetings, for SECONDS.
    const client = createGrpcClient(ChatServiceClient, grpc, { defaultDeadlineMs: 30_000 });
    let stored = 0;
    let errors = 0;
    const postLatencies: number[] = [];
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        while (performance.now() < until) {
          const t0 = performance.now();
          try {
            await unary(client.postMessage.bind(client), {
              meetingId: `bench-${i % 8}`,
              senderIdentity: `sender-${i}`,
              senderName: `Sender ${i}`,
              senderSid: `PA_${i}`,
              text: `message ${stored} from ${i}: the quick brown fox jumps over the lazy dog`,
              toIdentity: '',
              toName: '',
            });
            stored++;
            postLatencies.push(performance.now() - t0);
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    // CPU of this whole process (gRPC client and chat role with its embedded database): a figure that
    // holds on a busy machine, where wall-clock rates only say what was left over.
    const cpuS = (cpu.user + cpu.system) / 1e6;
    client.close();

    const report = {
      name: 'chat',
      at: new Date().toISOString(),
      machine: machineInfo(),
      delivery: {
        messages: MESSAGES,
        intervalMs: INTERVAL_MS,
        received,
        failed,
        p50Ms: round(percentile(latencies, 0.5), 2),
        p99Ms: round(percentile(latencies, 0.99), 2),
        maxMs: round(Math.max(...latencies), 2),
      },
      throughput: {
        concurrency: CONCURRENCY,
        seconds: round(elapsedS, 1),
        stored,
        errors,
        messagesPerSec: round(stored / elapsedS, 0),
        cpuSeconds: round(cpuS, 2),
        cpuMsPerMessage: round((cpuS * 1000) / stored, 3),
        messagesPerCpuSecond: round(stored / cpuS, 0),
        loadAverage1m: round(loadavg()[0] ?? 0, 1),
        postP50Ms: round(percentile(postLatencies, 0.5), 2),
        postP99Ms: round(percentile(postLatencies, 0.99), 2),
      },
    };
    console.log(
      table([
        ['figure', 'value'],
        ['delivery p50 (ms)', fmt(report.delivery.p50Ms, 2)],
        ['delivery p99 (ms)', fmt(report.delivery.p99Ms, 2)],
        ['delivered / sent', `${received} / ${MESSAGES}`],
        ['chat role messages/s', fmt(report.throughput.messagesPerSec, 0)],
        ['messages per CPU second', fmt(report.throughput.messagesPerCpuSecond, 0)],
        ['load average (1 min)', fmt(report.throughput.loadAverage1m, 1)],
        [
          'PostMessage p50 / p99 (ms)',
          `${fmt(report.throughput.postP50Ms, 2)} / ${fmt(report.throughput.postP99Ms, 2)}`,
        ],
        ['errors', String(errors + failed)],
      ]),
    );
    if (args.out) writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await signaling.close();
    backend.close();
    await busKv.close();
    await sfu.stop(1000);
    await chat.close();
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
