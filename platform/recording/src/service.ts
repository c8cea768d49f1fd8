import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge } from 'prom-client';
import {
  createHttpService,
  createLogger,
  createMetrics,
  randomSecret,
  type HttpService,
  type Logger,
  type ServiceMetrics,
} from '@origo/kit';
import { databaseOpener, type DatabaseHandle } from '@origo/kit/db';
import type { Bus, Kv, Unsubscribe } from '@origo/kit/bus';
import { OutboxPump } from '@origo/kit/outbox';
import { UsageEvent } from '@origo/proto/billing-rpc';
import type { PrincipalResolver } from '@origo/auth/client';
import { NotificationRelay } from '@origo/notification-relay';
import {
  BILLING_OUTBOX_TOPIC,
  BILLING_READY_CHANNEL,
  ROOM_COMMANDS_CHANNEL,
  type RoomCommand,
} from '@origo/control/contracts';
import type { CallerResolver } from '@origo/control/meeting-access';
import type { RecordingBilling } from './billing.js';
import * as schema from './db/schema.js';
import type { RecordingRow } from './db/schema.js';
import { checkFfmpeg, type CompositeOptions } from './ffmpeg.js';
import type { RtpForwarder } from './forwarder.js';
import { RecorderHeartbeats, type HeartbeatOptions } from './heartbeat.js';
import { registerRoutes } from './http/routes.js';
import { LinkSigner } from './links.js';
import { RecordingManager, type MeetingInfo } from './manager.js';
import type { NameLookup } from './Recorder.js';
import type { RecordingStorage } from './storage.js';
import { RecordingStore, type Db } from './store.js';

/** The committed drizzle-kit migrations (the same relative path from src/ and dist/). */
export const RECORDING_MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url));

export type RecordingDatabase = DatabaseHandle<typeof schema>;

/** Opens the recording database (PostgreSQL with a URL, else PGlite in `dataDir`) and migrates it. */
export const openRecordingDatabase = databaseOpener('recording', schema, RECORDING_MIGRATIONS);

export interface RecordingServiceDeps {
  database: RecordingDatabase;
  storage: RecordingStorage;
  forwarder: RtpForwarder;
  resolveCaller: CallerResolver;
  workDir: string;
  rtpHost: string;
  bindHost?: string | undefined;
  /** FFmpeg binary. Default `ffmpeg` on PATH. */
  ffmpeg?: string;
  composite?: Partial<CompositeOptions>;
  /** Where the room is told a recording started or ended (control's room-commands channel). */
  bus?: Bus;
  /** This recorder's id (the role: RECORDING_NODE_ID or the host name). Default `local`. */
  recorderId?: string;
  /** Names under the tiles (the role reads signaling's participant list). */
  names?: NameLookup;
  /** How often a recorder reads the room's tracks to follow joins and leaves. */
  layoutPollMs?: number;
  /** The meeting's organization, host and title (control's GetMeeting over gRPC in the role). */
  meetings?: (meetingId: string) => Promise<MeetingInfo>;
  /**
   * The billing service: the plan's recording limits when a recording starts, and the recording events it
   * meters (through the outbox). Absent: no plan check, and no events are written.
   */
  billing?: RecordingBilling;
  /** Timing of the outbox that hands recording events to billing (tests shorten it). */
  usageOutbox?: { retryBaseMs?: number; retryMaxMs?: number; intervalMs?: number };
  /** The notification service's gRPC address: "recording ready" goes to the host. Absent: rows wait. */
  notificationTarget?: (() => Promise<string>) | undefined;
  /** Where people open Origo (the link in the notification). */
  publicUrl?: string;
  /**
   * The configured public base URL (ORIGO_PUBLIC_URL as set, not defaulted): time-limited links to the local
   * folder's files are absolute URLs under it. Absent: they are paths on this service (behind the gateway).
   */
  linkBaseUrl?: string | undefined;
  /** How long a stop request waits for the stored file before answering 202 `stopping` (default 3 s). */
  stopWaitMs?: number;
  /**
   * The kv every recorder of the deployment shares: recorders heartbeat there, and one takes over the
   * unfinished recordings of a recorder whose heartbeat stopped (it never came back). Absent: each recorder
   * only finishes its own, when it restarts.
   */
  kv?: Kv | undefined;
  heartbeat?: HeartbeatOptions;
  /** Signed-in callers (organization settings). */
  resolvePrincipal?: PrincipalResolver;
  /** How often expired recordings are removed (retention). Default hourly; 0 turns the job off. */
  retentionSweepMs?: number;
  /** Key of the local folder's signed links (every recorder of a deployment the same). Default: random. */
  linkSecret?: string;
  logger?: Logger;
  metrics?: ServiceMetrics;
}

export interface RecordingService {
  http: HttpService;
  store: RecordingStore;
  manager: RecordingManager;
  /** Hands recording events to billing's metering; rows wait in the outbox while billing is away. */
  usageOutbox: OutboxPump;
  listen(options?: { httpPort?: number; host?: string }): Promise<{ http: string }>;
  setDraining(): void;
  close(): Promise<void>;
}

export async function createRecordingService(deps: RecordingServiceDeps): Promise<RecordingService> {
  const logger = deps.logger ?? createLogger({ service: 'recording', level: 'silent' });
  const metrics = deps.metrics ?? createMetrics('recording', { defaultMetrics: false });
  const store = new RecordingStore(deps.database.db, deps.billing !== undefined);
  // Recording time and storage are metered by billing from the outbox rows the store writes with each
  // start, ready, failure and delete (it drops duplicates by event id).
  const billing = deps.billing;
  const usageOutbox = new OutboxPump({
    topic: BILLING_OUTBOX_TOPIC,
    db: deps.database.db,
    send:
      billing === undefined
        ? undefined
        : (payloads) => billing.recordUsage(payloads.map((p) => UsageEvent.fromJSON(p))),
    logger,
    registry: metrics.registry,
    ...deps.usageOutbox,
  });

  // Names as the dashboards and alerts read them (deploy/observability).
  const inProgress = new Gauge({
    name: 'origo_recording_active_sessions',
    help: 'Recordings being written by this recorder',
    registers: [metrics.registry],
  });
  const finished = new Counter({
    name: 'origo_recording_sessions_total',
    help: 'Recordings that ended, by result (completed or failed)',
    labelNames: ['result'],
    registers: [metrics.registry],
  });
  const failures = new Counter({
    name: 'origo_recording_failures_total',
    help: 'Recordings that failed, by cause: ffmpeg (it exited while recording), nothing_written, lost (the recorder stopped)',
    labelNames: ['cause'],
    registers: [metrics.registry],
  });
  const degraded = new Counter({
    name: 'origo_recording_degraded_total',
    help: 'Recordings whose video fell short of their sound: the recorder could not keep up with real time',
    registers: [metrics.registry],
  });
  const bytesStored = new Counter({
    name: 'origo_recording_bytes_stored_total',
    help: 'Bytes of finished recordings written to the storage',
    registers: [metrics.registry],
  });
  /**
   * Tells the room, through signaling, that a recording started or ended, so every participant sees it.
   * A stop is told when it is asked for (status stopping), not when the file is ready; a recording finished
   * after a restart went from recording to ready, so its end is told then.
   */
  const announce = (row: RecordingRow): void => {
    const { bus } = deps;
    if (bus === undefined || (row.status === 'ready' && !row.interrupted)) return;
    const command: RoomCommand = {
      v: 1,
      type: 'recording_changed',
      command_id: randomUUID(),
      room: row.meetingId,
      issued_by: 'service:recording',
      issued_at_ms: Date.now(),
      recording: row.status === 'recording',
      recording_id: row.id,
    };
    bus
      .publish(ROOM_COMMANDS_CHANNEL, command)
      .catch((err: unknown) =>
        logger.warn({ err, recording_id: row.id }, 'could not tell the room about its recording'),
      );
  };
  // The host hears that a recording is ready through the notification service, by a relay row written in
  // the transaction that marks it ready (so it is neither lost while that service is down nor sent twice).
  const relay = new NotificationRelay({
    service: 'recording',
    db: deps.database.db,
    target: deps.notificationTarget,
    logger,
    registry: metrics.registry,
  });
  const publicUrl = (deps.publicUrl ?? 'http://localhost:8080').replace(/\/$/, '');
  const notifyReady = async (tx: Db, row: RecordingRow): Promise<void> => {
    if (row.hostId === null || row.meetingTitle === null) return;
    await relay.add(
      tx,
      {
        rpc: 'enqueue',
        request: {
          idempotencyKey: `recording:ready:${row.id}`,
          orgId: row.orgId ?? '',
          recipient: { userId: row.hostId, email: '', phone: '', displayName: '' },
          params: {
            $case: 'recordingReady',
            value: {
              meetingId: row.meetingId,
              meetingTitle: row.meetingTitle,
              recordingUrl: `${publicUrl}/meetings/${encodeURIComponent(row.meetingId)}/recordings`,
              durationSeconds: Math.round((row.durationMs ?? 0) / 1000),
            },
          },
        },
      },
      'service:recording',
      row.id,
    );
  };
  const manager: RecordingManager = new RecordingManager({
    store,
    storage: deps.storage,
    forwarder: deps.forwarder,
    workDir: deps.workDir,
    rtpHost: deps.rtpHost,
    bindHost: deps.bindHost,
    ...(deps.ffmpeg !== undefined ? { ffmpeg: deps.ffmpeg } : {}),
    ...(deps.composite !== undefined ? { composite: deps.composite } : {}),
    logger,
    recorderId: deps.recorderId ?? 'local',
    names: deps.names,
    ...(deps.layoutPollMs !== undefined ? { layoutPollMs: deps.layoutPollMs } : {}),
    onFailureCause: (cause) => failures.inc({ cause }),
    onDegraded: () => degraded.inc(),
    meetings: deps.meetings,
    checkPlan: billing === undefined ? undefined : (input) => billing.checkRecording(input),
    notifyReady,
    afterReady: () => relay.kick(),
    onChange: (row) => {
      announce(row);
      usageOutbox.kick();
      inProgress.set(manager.activeCount);
      if (row.status === 'ready') finished.inc({ result: 'completed' });
      if (row.status === 'failed') finished.inc({ result: 'failed' });
      if (row.status === 'ready' && row.bytes !== null) bytesStored.inc(row.bytes);
    },
  });

  const http = createHttpService({
    service: 'recording',
    logger,
    metrics,
    readiness: [
      { name: 'database', check: () => deps.database.ping() },
      { name: 'storage', check: () => deps.storage.check() },
      // A recorder without FFmpeg cannot record: say so where an operator looks first.
      { name: 'ffmpeg', check: async () => void (await checkFfmpeg(deps.ffmpeg)) },
    ],
    bodyLimit: 16 * 1024,
    trustProxy: true,
  });
  registerRoutes(http.app, {
    store,
    manager,
    storage: deps.storage,
    resolveCaller: deps.resolveCaller,
    links: new LinkSigner(deps.linkSecret ?? randomSecret(32)),
    resolvePrincipal: deps.resolvePrincipal,
    publicUrl: deps.publicUrl,
    linkBaseUrl: deps.linkBaseUrl,
    stopWaitMs: deps.stopWaitMs,
  });
  await http.app.ready();
  relay.start();
  // Billing says when it (re)starts: what waits goes at once instead of after its backoff.
  const billingBack: Unsubscribe | undefined =
    billing === undefined || deps.bus === undefined
      ? undefined
      : await deps.bus.subscribe(BILLING_READY_CHANNEL, () => {
          usageOutbox
            .retryNow()
            .catch((err: unknown) => logger.warn({ err }, 'could not resume the usage outbox'));
        });
  usageOutbox.start();
  // Recordings this recorder was writing when it last stopped without stopping them.
  await manager.recover();
  // Recordings of recorders that stopped heartbeating (scaled down, rescheduled under another name).
  const recorderId = deps.recorderId ?? 'local';
  const heartbeats =
    deps.kv === undefined
      ? undefined
      : new RecorderHeartbeats(deps.kv, recorderId, deps.heartbeat, (err) =>
          logger.warn({ err }, "could not write this recorder's heartbeat"),
        );
  await heartbeats?.start();
  let takingOver: Promise<unknown> | undefined;
  const takeOver = (): void => {
    if (takingOver !== undefined) return; // the last round is still finishing recordings
    takingOver = manager
      .takeOver((owner) => heartbeats!.isDead(owner))
      .catch((err: unknown) =>
        logger.warn({ err }, 'could not take over the recordings of a dead recorder; trying again later'),
      )
      .finally(() => (takingOver = undefined));
  };
  const takeOverTimer = heartbeats === undefined ? undefined : setInterval(takeOver, heartbeats.intervalMs);
  takeOverTimer?.unref();
  if (takeOverTimer !== undefined) takeOver();
  // Retention: expired recordings go, hourly (every replica may sweep; a delete is idempotent).
  const sweepMs = deps.retentionSweepMs ?? 3600_000;
  const sweep = (): void =>
    void manager
      .sweepRetention()
      .catch((err: unknown) => logger.warn({ err }, 'the retention job failed; it runs again later'));
  const sweeper = sweepMs > 0 ? setInterval(sweep, sweepMs) : undefined;
  sweeper?.unref();
  if (sweeper !== undefined) sweep();

  let closing: Promise<void> | undefined;
  return {
    http,
    store,
    manager,
    usageOutbox,
    async listen(options = {}) {
      const { url } = await http.listen(options.httpPort ?? 0, options.host ?? '127.0.0.1');
      return { http: url };
    },
    setDraining: () => http.setDraining(),
    close() {
      closing ??= (async () => {
        if (sweeper !== undefined) clearInterval(sweeper);
        if (takeOverTimer !== undefined) clearInterval(takeOverTimer);
        await takingOver;
        await manager.close();
        await heartbeats?.stop();
        await relay.stop();
        await billingBack?.();
        await usageOutbox.stop();
        billing?.close();
        deps.forwarder.close();
        await http.close();
      })();
      return closing;
    },
  };
}
