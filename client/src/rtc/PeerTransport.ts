// One RTCPeerConnection to the SFU (as livekit-client's PCTransport): its configuration, trickle ICE both
// ways (remote candidates wait for the remote description), and its connection state. The publisher and
// the subscriber connection each extend it with their side of the negotiation.
import { SignalTarget, type Trickle } from '@origo/proto/signal';
import { mark } from './marks.js';
import type { SignalClient } from './SignalClient.js';

export type Target = 'publisher' | 'subscriber';

export interface TransportCallbacks {
  /** The connection state changed (connected, disconnected, failed...). */
  onState(state: RTCPeerConnectionState): void;
}

export abstract class PeerTransport {
  readonly pc: RTCPeerConnection;
  private config: RTCConfiguration;
  private readonly pending: RTCIceCandidateInit[] = [];
  private closed = false;

  constructor(
    readonly target: Target,
    iceServers: RTCIceServer[],
    protected readonly signal: SignalClient,
    callbacks: TransportCallbacks,
  ) {
    this.config = { iceServers, bundlePolicy: 'max-bundle' };
    const pc = new RTCPeerConnection(this.config);
    this.pc = pc;
    pc.onicecandidate = (e) => {
      if (this.closed || e.candidate === null) return;
      this.signal.send({ $case: 'trickle', value: toTrickle(target, e.candidate.toJSON()) });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') mark(`${target}-connected`);
      if (!this.closed) callbacks.onState(pc.connectionState);
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /**
   * New ICE servers (fresh TURN credentials after a resume). The whole configuration goes back: Chromium
   * refuses a setConfiguration that changes bundlePolicy (InvalidModificationError), and leaving it out
   * means the default.
   */
  setIceServers(iceServers: RTCIceServer[]): void {
    this.config = { ...this.config, iceServers };
    if (!this.closed) this.pc.setConfiguration(this.config);
  }

  async addRemoteCandidate(init: RTCIceCandidateInit): Promise<void> {
    if (this.closed) return;
    if (this.pc.remoteDescription === null) {
      this.pending.push(init);
      return;
    }
    await this.pc.addIceCandidate(init).catch(() => undefined);
  }

  /** Applies candidates that arrived before the remote description. */
  protected async drainCandidates(): Promise<void> {
    for (const c of this.pending.splice(0)) await this.pc.addIceCandidate(c).catch(() => undefined);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.pc.close();
  }
}

export function toTrickle(target: Target, c: RTCIceCandidateInit): Trickle {
  return {
    target:
      target === 'publisher' ? SignalTarget.SIGNAL_TARGET_PUBLISHER : SignalTarget.SIGNAL_TARGET_SUBSCRIBER,
    candidate: c.candidate ?? '',
    sdpMid: c.sdpMid ?? undefined,
    sdpMlineIndex: c.sdpMLineIndex ?? undefined,
    usernameFragment: c.usernameFragment ?? undefined,
  };
}

export function toIceServers(
  list: readonly { urls: string[]; username: string; credential: string }[],
): RTCIceServer[] {
  return list
    .filter((s) => s.urls.length > 0)
    .map((s) => ({
      urls: [...s.urls],
      ...(s.username ? { username: s.username } : {}),
      ...(s.credential ? { credential: s.credential } : {}),
    }));
}
