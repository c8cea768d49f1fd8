import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import {
  PeerConnectionState,
  SignalTarget,
  PublishResponse,
  SfuServiceClient,
  SfuServiceService,
  TrackKind,
  TrackSource,
} from '../src/sfu-rpc.js';
import type { EventsRequest, SfuEvent, SfuServiceServer } from '../src/sfu-rpc.js';

describe('SfuService definition', () => {
  it('has the expected method paths and streaming flags', () => {
    const paths = Object.fromEntries(
      Object.entries(SfuServiceService).map(([name, def]) => [name, def.path]),
    );
    expect(paths).toEqual({
      createRouter: '/origo.rpc.sfu.v1.SfuService/CreateRouter',
      closeRouter: '/origo.rpc.sfu.v1.SfuService/CloseRouter',
      createPeer: '/origo.rpc.sfu.v1.SfuService/CreatePeer',
      closePeer: '/origo.rpc.sfu.v1.SfuService/ClosePeer',
      publish: '/origo.rpc.sfu.v1.SfuService/Publish',
      setSubscriberAnswer: '/origo.rpc.sfu.v1.SfuService/SetSubscriberAnswer',
      addIceCandidate: '/origo.rpc.sfu.v1.SfuService/AddIceCandidate',
      restartIce: '/origo.rpc.sfu.v1.SfuService/RestartIce',
      subscribe: '/origo.rpc.sfu.v1.SfuService/Subscribe',
      updateTrackSettings: '/origo.rpc.sfu.v1.SfuService/UpdateTrackSettings',
      setTrackMuted: '/origo.rpc.sfu.v1.SfuService/SetTrackMuted',
      getStats: '/origo.rpc.sfu.v1.SfuService/GetStats',
      getLoad: '/origo.rpc.sfu.v1.SfuService/GetLoad',
      startRtpForward: '/origo.rpc.sfu.v1.SfuService/StartRtpForward',
      requestRtpForwardKeyframe: '/origo.rpc.sfu.v1.SfuService/RequestRtpForwardKeyframe',
      stopRtpForward: '/origo.rpc.sfu.v1.SfuService/StopRtpForward',
      listRoomTracks: '/origo.rpc.sfu.v1.SfuService/ListRoomTracks',
      events: '/origo.rpc.sfu.v1.SfuService/Events',
    });
    expect(SfuServiceService.events.responseStream).toBe(true);
    expect(SfuServiceService.publish.responseStream).toBe(false);
  });
});

describe('SfuService over a real grpc-js channel', () => {
  let server: Server;
  let client: SfuServiceClient;

  const unimplemented = (_call: unknown, callback: (err: Partial<ServiceError>) => void) =>
    callback({ code: status.UNIMPLEMENTED, details: 'not in this test' });

  beforeAll(async () => {
    const impl: SfuServiceServer = {
      createRouter: unimplemented,
      closeRouter: unimplemented,
      createPeer: unimplemented,
      closePeer: unimplemented,
      publish: (call, callback) => {
        const req = call.request;
        callback(
          null,
          PublishResponse.create({
            answerSdp: `answer-for:${req.offerSdp}`,
            tracks: req.tracks.map((t, i) => ({
              cid: t.cid,
              trackId: `TR_${req.participantId}_${i}`,
              mid: String(i),
            })),
          }),
        );
      },
      setSubscriberAnswer: unimplemented,
      addIceCandidate: unimplemented,
      restartIce: unimplemented,
      subscribe: unimplemented,
      updateTrackSettings: unimplemented,
      setTrackMuted: unimplemented,
      getStats: unimplemented,
      getLoad: unimplemented,
      startRtpForward: unimplemented,
      requestRtpForwardKeyframe: unimplemented,
      listRoomTracks: unimplemented,
      stopRtpForward: unimplemented,
      events: (call: ServerWritableStream<EventsRequest, SfuEvent>) => {
        const roomId = call.request.roomId ?? 'all';
        call.write({
          roomId,
          participantId: 'PA_1',
          event: {
            $case: 'peerState',
            value: {
              target: SignalTarget.SIGNAL_TARGET_PUBLISHER,
              state: PeerConnectionState.PEER_CONNECTION_STATE_CONNECTED,
            },
          },
        });
        call.write({
          roomId,
          participantId: 'PA_1',
          event: { $case: 'subscriberOffer', value: { sdp: 'v=0', offerId: 1 } },
        });
        call.write({ roomId, participantId: '', event: { $case: 'routerClosed', value: { reason: 1 } } });
        call.end();
      },
    };
    server = new Server();
    server.addService(SfuServiceService, impl);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    client = new SfuServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  });

  it('makes a unary Publish call with the generated types', async () => {
    const res = await new Promise<PublishResponse>((resolve, reject) =>
      client.publish(
        {
          roomId: 'RM_1',
          participantId: 'PA_1',
          offerSdp: 'v=0',
          tracks: [
            {
              cid: 'mic',
              kind: TrackKind.TRACK_KIND_AUDIO,
              source: TrackSource.TRACK_SOURCE_MICROPHONE,
              layers: [],
              muted: false,
              width: 0,
              height: 0,
            },
          ],
        },
        (err, value) => (err ? reject(err) : resolve(value)),
      ),
    );
    expect(res).toEqual({
      answerSdp: 'answer-for:v=0',
      tracks: [{ cid: 'mic', trackId: 'TR_PA_1_0', mid: '0' }],
    });
  });

  it('maps a handler error to its gRPC status', async () => {
    const err = await new Promise<ServiceError>((resolve) =>
      client.getLoad({}, (e) => resolve(e as ServiceError)),
    );
    expect(err.code).toBe(status.UNIMPLEMENTED);
  });

  it('streams Events with the oneof intact', async () => {
    const stream = client.events({ roomId: 'RM_1' });
    const events: SfuEvent[] = [];
    for await (const ev of stream) events.push(ev as SfuEvent);
    expect(events.map((e) => e.event?.$case)).toEqual(['peerState', 'subscriberOffer', 'routerClosed']);
    expect(events[1]).toEqual({
      roomId: 'RM_1',
      participantId: 'PA_1',
      event: { $case: 'subscriberOffer', value: { sdp: 'v=0', offerId: 1 } },
    });
  });
});
