// The domain of one SFU worker process: a WorkerRoom per room, the event feed signaling listens to, load
// and stats, drain and stop. The gRPC edge (service.ts) only converts errors and messages.
import { AppError, type Logger } from '@origo/kit';
import {
  RouterClosedReason,
  type AddIceCandidateRequest,
  type CreatePeerRequest,
  type GetLoadResponse,
  type GetStatsResponse,
  type PublishRequest,
  type PublishResponse,
  type RestartIceRequest,
  type RouterStats,
  type SetSubscriberAnswerRequest,
  type SetTrackMutedRequest,
  type SfuEvent,
  type StartRtpForwardRequest,
  type StartRtpForwardResponse,
  type ListRoomTracksResponse,
  type SubscribeRequest,
  type SubscribeResponse,
  type UpdateTrackSettingsRequest,
  type WorkerLoad,
} from '@origo/proto/sfu-rpc';
import type { PeerOptions, RouterOptions } from '../media/index.js';
import { checkId, checkSdp, fromTarget } from './convert.js';
import { CpuSampler } from './cpu.js';
import { listRoomTracks, requestRtpForwardKeyframe, startRtpForward, stopRtpForward } from './rtpForwards.js';
import { Totals, type WorkerTotals } from './totals.js';
import { WorkerRoom } from './WorkerRoom.js';

export { mediaToAppError } from './convert.js';
export type { WorkerTotals } from './totals.js';

export interface SfuWorkerOptions {
  workerId: string;
  nodeId: string;
  logger: Logger;
  /** Media core tunables and test hooks, applied to every router of this worker. */
  router?: Omit<RouterOptions, 'roomId' | 'stats'>;
  /** Test hook: options for every peer (egress drop rate, drop filter). */
  peer?: PeerOptions;
}

export type SfuEventListener = (event: SfuEvent) => void;

export class SfuWorker {
  readonly workerId: string;
  readonly nodeId: string;
  private readonly logger: Logger;
  private readonly rooms = new Map<string, WorkerRoom>();
  private readonly listeners = new Set<SfuEventListener>();
  private readonly totalsKeeper = new Totals();
  private readonly cpu = new CpuSampler(2000);
  private draining = false;
  private stopped = false;

  constructor(private readonly opts: SfuWorkerOptions) {
    this.workerId = opts.workerId;
    this.nodeId = opts.nodeId;
    this.logger = opts.logger;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** The worker serves from now on: its CPU reading starts here, not at its construction. */
  markServing(): void {
    this.cpu.restart();
  }

  /** Listens to every event of the worker; returns the function that stops listening. */
  onEvent(listener: SfuEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SfuEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error({ err }, 'SFU event listener threw');
      }
    }
  }

  private room(roomId: string): WorkerRoom {
    checkId('room_id', roomId);
    const room = this.rooms.get(roomId);
    if (!room) throw AppError.notFound(`router of room ${roomId}`);
    return room;
  }

  // ---- routers ----

  createRouter(roomId: string): { workerId: string; created: boolean } {
    checkId('room_id', roomId);
    if (this.rooms.has(roomId)) return { workerId: this.workerId, created: false };
    if (this.draining || this.stopped) throw AppError.unavailable(`worker ${this.workerId} is draining`);
    const room = new WorkerRoom({
      roomId,
      router: this.opts.router,
      peer: this.opts.peer,
      logger: this.logger,
      emit: (event) => this.emit(event),
      onClosed: (closed) => {
        this.rooms.delete(closed.roomId);
        this.totalsKeeper.retire(closed.stats);
        this.logger.info({ room_id: closed.roomId }, 'router closed');
      },
    });
    this.rooms.set(roomId, room);
    this.logger.info({ room_id: roomId }, 'router created');
    return { workerId: this.workerId, created: true };
  }

  /** Closes a room's router; its counters as they stood when it closed, undefined when there was none. */
  closeRouter(
    roomId: string,
    reason = RouterClosedReason.ROUTER_CLOSED_REASON_REQUESTED,
  ): RouterStats | undefined {
    const room = this.rooms.get(roomId);
    if (!room) return undefined;
    room.close(reason);
    // Read after the close: nothing is sent any more, so these are the router's final totals.
    return room.routerStats(this.workerId);
  }

  // ---- peers and negotiation ----

  createPeer(req: CreatePeerRequest): boolean {
    return this.room(req.roomId).createPeer(req);
  }

  closePeer(roomId: string, participantId: string): boolean {
    return this.rooms.get(checkId('room_id', roomId))?.closePeer(participantId) ?? false;
  }

  publish(req: PublishRequest): Promise<PublishResponse> {
    return this.room(req.roomId).publish(req);
  }

  async setSubscriberAnswer(req: SetSubscriberAnswerRequest): Promise<void> {
    const rec = this.room(req.roomId).peer(req.participantId);
    checkSdp('answer_sdp', req.answerSdp, true);
    await rec.applySubscriberAnswer(req.answerSdp, req.offerId);
  }

  async addIceCandidate(req: AddIceCandidateRequest): Promise<void> {
    const rec = this.room(req.roomId).peer(req.participantId);
    const target = fromTarget(req.target);
    const c = req.candidate;
    if (!c) throw AppError.invalid('candidate is required');
    if (c.candidate.length > 1024) throw AppError.invalid('candidate is too long');
    // End of candidates needs no action: the transports gather and check without it.
    if (c.candidate === '') return;
    await rec.addIceCandidate(target, {
      candidate: c.candidate,
      sdpMid: c.sdpMid ?? null,
      sdpMLineIndex: c.sdpMlineIndex ?? null,
      usernameFragment: c.usernameFragment ?? null,
    });
  }

  async restartIce(req: RestartIceRequest): Promise<{ answerSdp: string }> {
    const rec = this.room(req.roomId).peer(req.participantId);
    const target = fromTarget(req.target);
    checkSdp('offer_sdp', req.offerSdp, true);
    return { answerSdp: await rec.restartIce(target, req.offerSdp) };
  }

  // ---- tracks and subscriptions ----

  subscribe(req: SubscribeRequest): SubscribeResponse {
    return this.room(req.roomId).subscribe(req);
  }

  updateTrackSettings(req: UpdateTrackSettingsRequest): void {
    this.room(req.roomId).updateTrackSettings(req);
  }

  setTrackMuted(req: SetTrackMutedRequest): void {
    this.room(req.roomId).setTrackMuted(req.participantId, req.trackId, req.muted);
  }

  // ---- plain-RTP forwards ----

  startRtpForward(req: StartRtpForwardRequest): StartRtpForwardResponse {
    return { streams: startRtpForward(this.room(req.roomId), req, this.logger) };
  }

  requestRtpForwardKeyframe(roomId: string, forwardId: string): void {
    requestRtpForwardKeyframe(this.room(roomId), forwardId);
  }

  stopRtpForward(roomId: string, forwardId: string): boolean {
    const room = this.rooms.get(checkId('room_id', roomId));
    return room ? stopRtpForward(room, forwardId) : false;
  }

  listRoomTracks(roomId: string): ListRoomTracksResponse {
    return { tracks: listRoomTracks(this.room(roomId)) };
  }

  // ---- stats and load ----

  getStats(roomId: string | undefined): GetStatsResponse {
    const routers = [...this.rooms.values()]
      .filter((room) => roomId === undefined || room.roomId === roomId)
      .map((room) => room.routerStats(this.workerId));
    return { routers };
  }

  /** Worker-wide totals: gauges from live routers, counters including closed routers. */
  totals(): WorkerTotals {
    return this.totalsKeeper.sum([...this.rooms.values()].map((r) => r.stats));
  }

  load(): WorkerLoad {
    const t = this.totals();
    return {
      workerId: this.workerId,
      routerCount: t.routers,
      peerCount: t.peers,
      producerCount: t.producers,
      consumerCount: t.consumers,
      cpuLoad: this.cpu.load,
      draining: this.draining,
    };
  }

  getLoad(): GetLoadResponse {
    return { nodeId: this.nodeId, workers: [this.load()] };
  }

  // ---- lifecycle ----

  /** Stops taking new rooms; existing rooms keep running. */
  drain(): void {
    this.draining = true;
  }

  /** Closes every router (signaling hears router_closed with SHUTDOWN). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.draining = true;
    this.cpu.stop();
    for (const roomId of [...this.rooms.keys()])
      this.closeRouter(roomId, RouterClosedReason.ROUTER_CLOSED_REASON_SHUTDOWN);
    this.listeners.clear();
  }
}
