import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  ADDRESS,
  createGrpcClient,
  Held,
  optionalServiceUrl,
  randomSecret,
  roleBasics,
  SecretStore,
  serviceUrl,
  type RoleDefinition,
  type SecretSpec,
  unary,
} from '@origo/kit';
import { ControlServiceClient } from '@origo/proto/control-rpc';
import { createBusKv } from '@origo/kit/bus';
import { createRemoteMeetingAccess } from '@origo/control/meeting-access';
import { createGrpcRecordingBilling } from './billing.js';
import { recordingConfigSchema, s3OptionsFrom } from './config.js';
import { readParticipantNames } from '@origo/signaling/placement';
import { FONT_CANDIDATES, filterSafePath } from './ffmpeg.js';
import { grpcForwarder, placementLocator } from './forwarder.js';
import { RecordingManager } from './manager.js';
import { createRecordingService, openRecordingDatabase } from './service.js';
import { S3Storage } from './s3Storage.js';
import { LocalStorage } from './storage.js';

/** Signs the local folder's time-limited links; every recorder of a deployment needs the same. */
export const LINK_SECRET: SecretSpec = {
  name: 'recording-link-key',
  env: 'ORIGO_RECORDING_LINK_SECRET',
  generate: () => randomSecret(32),
};

/**
 * The recording role: REST for a meeting's recordings behind the gateway (/api/meetings/:id/recordings,
 * /api/recordings), the recorders (FFmpeg fed by the SFU's plain RTP) and the local storage under
 * ORIGO_DATA/recordings. Finds a room's SFU worker through signaling's placement in the shared kv.
 * Publishes `recording.http`.
 */
export const recordingRole: RoleDefinition = {
  name: 'recording',
  description: 'Meeting recordings: composite H.264 + AAC from the SFU, stored and served to hosts',
  async start(ctx) {
    const { config, common, logger, metrics } = roleBasics(ctx, 'recording', recordingConfigSchema);
    const authUrl = serviceUrl(ctx, 'AUTH_URL', config.AUTH_URL, ADDRESS.authHttp);
    const controlUrl = serviceUrl(ctx, 'CONTROL_URL', config.CONTROL_URL, ADDRESS.controlHttp);
    const s3 = s3OptionsFrom(config);
    const fontFile = config.RECORDING_FONT ?? FONT_CANDIDATES.find((f) => existsSync(f));
    if (fontFile === undefined || !filterSafePath(fontFile))
      logger.warn(
        { font: fontFile ?? null },
        'no usable font for the names under the tiles (install fonts-dejavu-core or set RECORDING_FONT to a path of letters, digits and ./_-): recordings have no names',
      );
    const controlGrpc = optionalServiceUrl(ctx, config.CONTROL_GRPC_ADDRESS, ADDRESS.controlGrpc);
    const notificationTarget = optionalServiceUrl(
      ctx,
      config.NOTIFICATION_GRPC_ADDRESS,
      ADDRESS.notificationGrpc,
    );
    const billingTarget = optionalServiceUrl(ctx, config.BILLING_GRPC_ADDRESS, ADDRESS.billingGrpc);
    if (billingTarget === undefined)
      logger.warn(
        'BILLING_GRPC_ADDRESS is not set: recordings are not checked against the plan and not metered',
      );
    if (controlGrpc === undefined)
      logger.warn(
        'CONTROL_GRPC_ADDRESS is not set: recordings are not filed under their organization and hosts are not told when one is ready',
      );
    if (notificationTarget === undefined)
      logger.warn(
        'NOTIFICATION_GRPC_ADDRESS is not set: "recording ready" notifications wait in the relay table',
      );
    const held = new Held();
    const { service, bound } = await held.during(async () => {
      const storage =
        s3 === undefined
          ? new LocalStorage(join(common.ORIGO_DATA, 'recordings'))
          : held.add(new S3Storage(s3), (s) => s.close());
      const database = held.add(
        await openRecordingDatabase({
          databaseUrl: common.DATABASE_URL,
          dataDir: join(common.ORIGO_DATA, 'recording'),
          logger,
        }),
        (d) => d.close(),
      );
      const busKv = held.add(await createBusKv({ redisUrl: common.REDIS_URL, logger }), (b) => b.close());
      // Tokens of sessions auth ended (sign-out) are refused at once, not when they expire.
      const { resolveCaller, resolvePrincipal } = held.add(
        await createRemoteMeetingAccess({
          authUrl,
          controlUrl,
          issuer: config.AUTH_JWT_ISSUER,
          audience: config.AUTH_JWT_AUDIENCE,
          publicUrl: config.ORIGO_PUBLIC_URL,
          joinTokenJwksUrl: config.JOIN_TOKEN_JWKS_URL,
          bus: busKv.bus,
          logger,
        }),
        (a) => a.close(),
      );
      let control: ControlServiceClient | undefined;
      if (controlGrpc !== undefined) {
        control = createGrpcClient(ControlServiceClient, await controlGrpc());
        held.add(control, (c) => c.close());
      }
      const meetings =
        control === undefined
          ? undefined
          : async (meetingId: string) => {
              const m = await unary(control.getMeeting.bind(control), { meetingId }, { deadlineMs: 5000 });
              return { orgId: m.orgId, hostId: m.hostId, title: m.title };
            };
      const service = held.add(
        await createRecordingService({
          database,
          storage,
          forwarder: grpcForwarder(placementLocator(busKv.kv)),
          resolveCaller,
          bus: busKv.bus,
          workDir: RecordingManager.workDirOf(common.ORIGO_DATA),
          rtpHost: config.RECORDING_RTP_HOST,
          bindHost: config.RECORDING_RTP_BIND,
          ffmpeg: config.RECORDING_FFMPEG,
          composite: { preset: config.RECORDING_X264_PRESET, fontFile },
          recorderId:
            config.RECORDING_NODE_ID ??
            hostname()
              .replace(/[^A-Za-z0-9._-]/g, '-')
              .slice(0, 64),
          names: (roomId) => readParticipantNames(busKv.kv, roomId),
          linkSecret: await new SecretStore(common.ORIGO_DATA).get(LINK_SECRET),
          ...(meetings === undefined ? {} : { meetings }),
          ...(billingTarget === undefined
            ? {}
            : { billing: createGrpcRecordingBilling({ target: billingTarget, logger }) }),
          resolvePrincipal,
          notificationTarget,
          publicUrl: config.ORIGO_PUBLIC_URL,
          // Links are absolute under the public URL when one is set (the launcher sets it in one process).
          linkBaseUrl: ctx.env['ORIGO_PUBLIC_URL'] ? config.ORIGO_PUBLIC_URL : undefined,
          // Heartbeats tell recorders apart only in a kv they all share (Redis), or where this is the only
          // recorder (the embedded database: one process). Otherwise each finishes only its own.
          ...(common.REDIS_URL || !common.DATABASE_URL ? { kv: busKv.kv } : {}),
          logger,
          metrics,
        }),
        (s) => s.close(),
      );
      const host = config.RECORDING_HOST ?? (ctx.allInOne ? '127.0.0.1' : '0.0.0.0');
      const bound = await service.listen({
        host,
        httpPort: config.RECORDING_HTTP_PORT ?? (ctx.allInOne ? 0 : 8080),
      });
      return { service, bound };
    });
    ctx.addresses.set(ADDRESS.recordingHttp, bound.http);
    logger.info({ http: bound.http }, 'recording listening');

    return {
      name: 'recording',
      endpoints: { http: bound.http },
      drain: () => service.setDraining(),
      // The service first, then what it used, newest first.
      stop: () => held.releaseAll(),
    };
  },
};
