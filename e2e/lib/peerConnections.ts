// The page's RTCPeerConnections as the browser itself reports them: an init script records every one the
// client creates (and can force `iceTransportPolicy: 'relay'` on it, the browser setting for "media only
// through TURN"), and selectedPairs reads which candidate pair each connection actually uses. The client
// is not changed for this: the init script wraps the constructor before any page script runs.
import type { BrowserContext, Page } from 'playwright-core';

/** One end of the candidate pair a connection uses (RTCIceCandidateStats). */
export interface PairEnd {
  /** host, srflx, prflx or relay. */
  type: string;
  address: string;
  port: number;
  protocol: string;
  /** For a relay candidate, how the browser reaches the TURN server (udp, tcp, tls). */
  relayProtocol?: string;
}

/** The selected candidate pair of one peer connection of the page. */
export interface SelectedPair {
  connectionState: string;
  local: PairEnd | null;
  remote: PairEnd | null;
  bytesSent: number;
  bytesReceived: number;
}

interface RecorderWindow {
  RTCPeerConnection: typeof RTCPeerConnection;
  __e2ePeerConnections?: RTCPeerConnection[];
}

/** Runs in the page before its scripts; self-contained (Playwright sends its source). */
function installRecorder(options: { forceRelay: boolean }): void {
  const w = window as unknown as RecorderWindow;
  const Native = w.RTCPeerConnection;
  const recorded: RTCPeerConnection[] = [];
  // setConfiguration is wrapped too: the client sends its whole configuration again with fresh TURN
  // credentials after a resume, and a configuration without the policy would mean 'all'.
  const adjust = (config?: RTCConfiguration): RTCConfiguration | undefined =>
    options.forceRelay ? { ...config, iceTransportPolicy: 'relay' } : config;
  class Recorded extends Native {
    constructor(config?: RTCConfiguration) {
      super(adjust(config));
      recorded.push(this);
    }
    override setConfiguration(config?: RTCConfiguration): void {
      super.setConfiguration(adjust(config));
    }
  }
  w.RTCPeerConnection = Recorded;
  w.__e2ePeerConnections = recorded;
}

/** Records the peer connections of every page of the context; with forceRelay, they may only use TURN. */
export async function recordPeerConnections(
  context: BrowserContext,
  options: { forceRelay: boolean },
): Promise<void> {
  await context.addInitScript(installRecorder, options);
}

/** The selected candidate pair of each peer connection of the page that is not closed. */
export async function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    const list = (window as unknown as RecorderWindow).__e2ePeerConnections;
    if (list === undefined)
      throw new Error('the page has no peer connection recorder (recordPeerConnections)');
    const out: SelectedPair[] = [];
    for (const pc of list) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      let pairId: string | undefined;
      stats.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      // Older stats without selectedCandidatePairId: the nominated pair that succeeded.
      if (pairId === undefined)
        stats.forEach((s: { type: string; id: string; nominated?: boolean; state?: string }) => {
          if (s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded') pairId = s.id;
        });
      const pair = pairId === undefined ? undefined : (stats.get(pairId) as RTCIceCandidatePairStats);
      const end = (id: string | undefined): PairEnd | null => {
        const c = id === undefined ? undefined : (stats.get(id) as Record<string, unknown> | undefined);
        if (c === undefined) return null;
        return {
          type: String(c['candidateType']),
          address: String(c['address'] ?? c['ip']),
          port: Number(c['port']),
          protocol: String(c['protocol']),
          ...(c['relayProtocol'] !== undefined ? { relayProtocol: String(c['relayProtocol']) } : {}),
        };
      };
      out.push({
        connectionState: pc.connectionState,
        local: end(pair?.localCandidateId),
        remote: end(pair?.remoteCandidateId),
        bytesSent: pair?.bytesSent ?? 0,
        bytesReceived: pair?.bytesReceived ?? 0,
      });
    }
    return out;
  });
}

/**
 * Waits until the page has its two connections to the SFU (publisher and subscriber) connected, each with
 * a selected pair that has carried media; returns the pairs for the caller to judge. One way is enough:
 * a publisher's pair may receive nothing but ICE checks (werift sends it no RTCP), which stats do not count.
 */
export async function waitSelectedPairs(
  page: Page,
  what: string,
  deadlineMs: number,
): Promise<SelectedPair[]> {
  const deadline = Date.now() + deadlineMs;
  let pairs: SelectedPair[] = [];
  for (;;) {
    pairs = await selectedPairs(page);
    const connected = pairs.filter((p) => p.connectionState === 'connected');
    if (
      connected.length >= 2 &&
      connected.every((p) => p.local !== null && p.remote !== null && p.bytesSent + p.bytesReceived > 0)
    )
      return connected;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: no two connected peer connections with a used pair; saw ${JSON.stringify(pairs)}`,
      );
    await page.waitForTimeout(250);
  }
}

/** One line per page for logs: each pair as local -> remote with the bytes it carried. */
export function describePairs(pairs: readonly SelectedPair[] | undefined): string {
  return (pairs ?? [])
    .map(
      (p) =>
        `${p.local?.type} ${p.local?.address}:${p.local?.port} -> ${p.remote?.type} ${p.remote?.address}:${p.remote?.port} ` +
        `(sent ${p.bytesSent} B, received ${p.bytesReceived} B)`,
    )
    .join('; ');
}

/**
 * What each RTP stream of the page's connections carried, one line per stream, for failure reports: the
 * hop where media stops shows as the counter that stopped (bytes sent, packets received, frames decoded,
 * key frames, PLIs and NACKs in either direction).
 */
export async function rtpSummary(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const list = (window as unknown as RecorderWindow).__e2ePeerConnections ?? [];
    const out: string[] = [];
    let index = 0;
    for (const pc of list) {
      const n = index++;
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      stats.forEach((s: Record<string, unknown>) => {
        if (s['type'] !== 'inbound-rtp' && s['type'] !== 'outbound-rtp' && s['type'] !== 'transport') return;
        const pick = [
          'kind',
          'rid',
          'ssrc',
          'active',
          'packetsSent',
          'bytesSent',
          'packetsReceived',
          'packetsLost',
          'bytesReceived',
          'framesEncoded',
          'framesDecoded',
          'framesDropped',
          'keyFramesEncoded',
          'keyFramesDecoded',
          'frameWidth',
          'pliCount',
          'firCount',
          'nackCount',
          'qualityLimitationReason',
          'targetBitrate',
          'dtlsState',
          'iceState',
          'selectedCandidatePairChanges',
        ]
          .filter((k) => s[k] !== undefined)
          .map((k) => `${k}=${String(s[k])}`)
          .join(' ');
        out.push(`pc${n} ${pc.connectionState} ${String(s['type'])}: ${pick}`);
      });
    }
    return out;
  });
}
