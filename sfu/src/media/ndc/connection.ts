// One libdatachannel peer connection used as a bundled ICE/DTLS/SRTP pipe: a single media section
// (see sdpWrite.ts), every decrypted RTP and RTCP packet of the bundle delivered to one callback,
// whole packets sent through one track. A transport replaces its connection on an ICE restart.
import { IceGenerationLostError, InvalidStateError, SdpRejectedError } from '../errors.js';
import type { TransportConnectionState } from '../transport.js';
import { loadNdc, type NdcPeerConnection, type NdcRtcConfig, type NdcTrack } from './binding.js';
import { announce, bareCandidate } from './candidates.js';
import { parseSdp, transportOf, type TransportParams } from './sdpModel.js';
import { INTERNAL_MID, internalRemoteDescription } from './sdpWrite.js';

export interface ConnectionConfig {
  /** UDP port every connection of the worker shares (ICE UDP mux); 0 lets the first pick one. */
  udpPort: number;
  bindAddress: string | undefined;
  announcedAddresses: readonly string[];
}

export interface ConnectionEvents {
  state(state: TransportConnectionState): void;
  /** A local candidate ("candidate:..."), null when gathering completed. */
  candidate(candidate: string | null): void;
  /** The media track opened: DTLS-SRTP keys are ready, send() works. */
  open(): void;
  /** One decrypted RTP or RTCP packet (the Buffer is the callee's). */
  media(packet: Buffer): void;
  /** A callback threw: the owner closes the transport. */
  fatal(error: unknown): void;
}

const STATES = new Set(['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed']);
let counter = 0;

export class NdcConnection {
  private readonly pc: NdcPeerConnection;
  private track: NdcTrack | null = null;
  private closed = false;
  private opened = false;
  /** Candidates already given to the client inside an SDP; trickle skips them. */
  private readonly announced = new Set<string>();
  localParams: TransportParams | null = null;
  remoteUfrag = '';
  remotePwd = '';

  constructor(
    private readonly cfg: ConnectionConfig,
    private readonly events: ConnectionEvents,
  ) {
    const ndc = loadNdc();
    const rtc: NdcRtcConfig = {
      iceServers: [],
      enableIceUdpMux: true,
      portRangeBegin: cfg.udpPort,
      portRangeEnd: cfg.udpPort,
      disableAutoNegotiation: true,
      forceMediaTransport: true,
    };
    if (cfg.bindAddress) rtc.bindAddress = cfg.bindAddress;
    this.pc = new ndc.PeerConnection(`origo-${++counter}`, rtc);
    // A state callback is always registered: node-datachannel releases a closed connection's
    // callbacks (and lets the process exit) only after delivering its final state.
    this.pc.onStateChange((state) =>
      this.guard(() => {
        if (STATES.has(state)) this.events.state(state as TransportConnectionState);
      }),
    );
    this.pc.onLocalCandidate((candidate) =>
      this.guard(() => {
        for (const c of announce(bareCandidate(candidate), this.cfg.announcedAddresses)) {
          if (!this.announced.has(c)) this.events.candidate(c);
        }
      }),
    );
    this.pc.onGatheringStateChange((state) =>
      this.guard(() => {
        if (state === 'complete') this.events.candidate(null);
      }),
    );
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (error) {
      this.events.fatal(error);
    }
  }

  private attach(track: NdcTrack): void {
    this.track = track;
    track.onOpen(() =>
      this.guard(() => {
        this.opened = true;
        this.events.open();
      }),
    );
    track.onClosed(() => {
      this.opened = false;
    });
    track.onMessage((msg) => {
      if (this.closed) return;
      try {
        this.events.media(msg);
      } catch (error) {
        this.events.fatal(error);
      }
    });
  }

  private readLocal(): TransportParams {
    const local = this.pc.localDescription();
    if (!local) throw new InvalidStateError('libdatachannel produced no local description');
    const params = transportOf(parseSdp(local.sdp));
    const candidates: string[] = [];
    for (const c of params.candidates) {
      for (const a of announce(c, this.cfg.announcedAddresses)) {
        candidates.push(a);
        this.announced.add(a);
      }
    }
    this.localParams = { ...params, candidates };
    return this.localParams;
  }

  /** Answerer side (publisher): applies the client's transport and returns ours. */
  acceptOffer(remote: TransportParams): TransportParams {
    this.pc.onTrack((track) => this.guard(() => this.attach(track)));
    try {
      this.pc.setRemoteDescription(internalRemoteDescription(remote, true), 'offer');
      this.pc.setLocalDescription('answer');
    } catch (error) {
      throw new SdpRejectedError(`transport rejected the offer: ${String(error)}`, error);
    }
    this.remoteUfrag = remote.ufrag;
    this.remotePwd = remote.pwd;
    return this.readLocal();
  }

  /** Offerer side (subscriber): creates our transport description. */
  createOffer(): TransportParams {
    const ndc = loadNdc();
    const video = new ndc.Video(INTERNAL_MID, 'SendOnly');
    video.addVP8Codec(96);
    this.attach(this.pc.addTrack(video));
    this.pc.setLocalDescription('offer');
    return this.readLocal();
  }

  /** Offerer side: applies the client's answer to the transport (first answer only). */
  acceptAnswer(remote: TransportParams): void {
    // The client starts its checks as soon as it has our offer; when the answer reaches us late (a loaded
    // node), libjuice may already have failed those checks and libdatachannel closed the ICE transport.
    const state = this.pc.state();
    if (state === 'failed' || state === 'closed')
      throw new IceGenerationLostError(`the offered connection is ${state}`);
    try {
      this.pc.setRemoteDescription(internalRemoteDescription(remote, false), 'answer');
    } catch (error) {
      if (String(error).includes('without ICE transport'))
        throw new IceGenerationLostError('the offered connection lost its ICE transport', error);
      throw new SdpRejectedError(`transport rejected the answer: ${String(error)}`, error);
    }
    this.remoteUfrag = remote.ufrag;
    this.remotePwd = remote.pwd;
  }

  get hasRemote(): boolean {
    return this.remoteUfrag !== '';
  }

  /** Throws on a malformed candidate (the caller reports it as bad input). */
  addRemoteCandidate(candidate: string): void {
    if (this.closed) return;
    this.pc.addRemoteCandidate(candidate, INTERNAL_MID);
  }

  /** Sends one RTP or RTCP packet; libdatachannel protects it synchronously. False when not open. */
  send(packet: Buffer): boolean {
    const t = this.track;
    if (!this.opened || this.closed || t === null) return false;
    try {
      return t.sendMessageBinary(packet);
    } catch {
      // The track closed under us (ICE gone); the state callback reports it.
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.opened = false;
    try {
      // The track first: a track's callbacks stay referenced (about 1.5 KB of heap per connection,
      // measured) when only the connection is closed.
      this.track?.close();
      this.pc.close();
    } catch {
      // Already closed by libdatachannel.
    }
  }
}
