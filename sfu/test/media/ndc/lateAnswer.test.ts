// A client's answer that reaches the SFU after libdatachannel gave up on the offered connection (its ICE
// checks failed while the answer was on its way, seen on a loaded 2-core machine) is reported as a lost ICE
// generation, which the peer answers with a new offer, not as a bad answer that ends the client's media.
import { afterEach, describe, expect, it } from 'vitest';
import { retainUntilExit } from '@origo/kit/testing';
import { IceGenerationLostError } from '../../../src/media/errors.js';
import { NdcSubscriberTransport } from '../../../src/media/ndc/NdcSubscriber.js';
import { wrtc } from '../wrtcClient.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function clientAnswer(offer: string): Promise<string> {
  const pc = new wrtc.RTCPeerConnection();
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
});
