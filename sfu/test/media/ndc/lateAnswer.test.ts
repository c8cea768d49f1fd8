// A client's answer that reaches the SFU after libdatachannel gave up on the offered connection (its ICE
// checks failed while the answer was on its way, seen on a loaded 2-core machine) is reported as a lost ICE
// generation, which the peer answers with a new offer, not as a bad answer that ends the client's media.
import { afterEach, describe, expect, it } from 'vitest';
import { retainUntilExit, waitFor } from '@origo/kit/testing';
import type { IceCandidateInit } from '../../../src/media/index.js';
import { IceGenerationLostError } from '../../../src/media/errors.js';
import { NdcSubscriberTransport } from '../../../src/media/ndc/NdcSubscriber.js';
import { wrtc } from '../wrtcClient.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function clientAnswer(offer: string, pc = new wrtc.RTCPeerConnection()): Promise<string> {
  retainUntilExit(pc);
  cleanups.push(() => pc.close());
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  return answer.sdp;
}

function subscriber(): NdcSubscriberTransport {
  const sub = new NdcSubscriberTransport({ udpPort: 0, bindAddress: '127.0.0.1', announcedAddresses: [] });
  cleanups.push(() => sub.close());
  sub.addTrack('video', { mimeType: 'video/VP8', clockRate: 90_000 }, 'stream-1', 'track-1');
  return sub;
}

/** What libdatachannel does to a connection whose ICE failed: it closes it under us. */
function failUnderneath(sub: NdcSubscriberTransport): void {
  (sub as unknown as { conn: { pc: { close(): void } } }).conn.pc.close();
}

describe('a late subscriber answer on the native transport', () => {
  it('is applied when the offered connection is alive', async () => {
    const sub = subscriber();
    const answer = await clientAnswer(await sub.offer(false));
    await expect(sub.setAnswer(answer)).resolves.toBeUndefined();
  });

  it('is a lost ICE generation when the offered connection died meanwhile, and the next offer works', async () => {
    const sub = subscriber();
    const offer = await sub.offer(false);
    const answer = await clientAnswer(offer);
    failUnderneath(sub);
    await expect(sub.setAnswer(answer)).rejects.toBeInstanceOf(IceGenerationLostError);

    // The peer offers again with fresh credentials on a new connection; that answer goes in.
    const again = await sub.offer(true);
    const ufrag = (sdp: string) => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
    expect(ufrag(again)).not.toBe(ufrag(offer));
    await expect(sub.setAnswer(await clientAnswer(again))).resolves.toBeUndefined();
  });

  it('offers a new connection without candidates and sends them once the answer is in', async () => {
    const sub = subscriber();
    const trickled: (IceCandidateInit | null)[] = [];
    sub.onIceCandidate = (c) => trickled.push(c);
    const offer = await sub.offer(false);
    // Without our candidates the client cannot start ICE, so its DTLS ClientHello cannot reach us before
    // its answer (libdatachannel fails a handshake whose fingerprint it does not know yet).
    expect(offer).not.toContain('a=candidate:');
    expect(trickled.filter((c) => c !== null)).toHaveLength(0);

    const answer = await clientAnswer(offer);
    await sub.setAnswer(answer);
    const sent = trickled.filter((c): c is IceCandidateInit => c !== null);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((c) => c.candidate?.startsWith('candidate:'))).toBe(true);

    // A renegotiation of the same connection keeps its candidates in the SDP (nothing to hold back).
    sub.addTrack('audio', { mimeType: 'audio/opus', clockRate: 48_000, channels: 2 }, 'stream-1', 'track-2');
    expect(await sub.offer(false)).toContain('a=candidate:');
  });

  it('connects a client whose answer arrives after it has gathered, with the candidates sent after it', async () => {
    const sub = subscriber();
    const pc = new wrtc.RTCPeerConnection();
    const gathered = new Promise<void>((resolve) => {
      pc.onicecandidate = (e: { candidate: unknown }) => {
        if (e.candidate === null) resolve();
      };
    });
    sub.onIceCandidate = (c) => {
      if (c !== null) void pc.addIceCandidate(c).catch(() => undefined);
    };
    const states: string[] = [];
    sub.onConnectionState = (s) => states.push(s);
    const answer = await clientAnswer(await sub.offer(false), pc);
    // The answer is slow to reach the SFU (a loaded signaling path): the client is ready long before.
    await gathered;
    await sub.setAnswer(answer);
    await waitFor(() => states.includes('connected') || states.includes('failed'), {
      timeoutMs: 30_000,
      what: 'the subscriber connection to settle',
      detail: () => states,
    });
    expect(states).not.toContain('failed');
    expect(sub.connectionState).toBe('connected');
  });
});
