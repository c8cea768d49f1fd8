import { describe, expect, it } from 'vitest';
import { NdcInboundTrack } from '../../../src/media/ndc/inbound.js';
import { RtpView } from '../../../src/media/ndc/rtpHeader.js';

function track(kind: 'video' | 'audio' = 'video'): NdcInboundTrack {
  return new NdcInboundTrack(
    '0',
    kind,
    undefined,
    { mimeType: 'video/VP8', clockRate: 90000 },
    96,
    0,
    () => undefined,
  );
}

function feed(t: NdcInboundTrack, seq: number, nowMs: number): void {
  const v = new RtpView();
  v.ssrc = 5;
  v.seq = seq;
  v.ts = seq * 3000;
  v.payloadOffset = 12;
  v.payloadEnd = 12;
  t.deliver(Buffer.alloc(12), v, nowMs);
}

describe('inbound stream statistics and NACK generation', () => {
  it('asks for packets missing across the sequence wrap, at most three times, and forgets what arrived', () => {
    const t = track();
    const out: number[] = [];
    feed(t, 65534, 0);
    feed(t, 65535, 1);
    feed(t, 2, 2); // 0 and 1 lost
    expect(t.dueNacks(30, out)).toEqual([0, 1]);
    expect(t.dueNacks(35, out)).toEqual([]); // within the retry interval
    feed(t, 0, 40); // the retransmission of 0 arrives
    expect(t.dueNacks(60, out)).toEqual([1]);
    expect(t.dueNacks(90, out)).toEqual([1]);
    expect(t.dueNacks(120, out)).toEqual([]); // asked three times: given up
    expect(t.hasMissing).toBe(false);
  });

  it('reports loss and the extended highest sequence number in its receiver report block', () => {
    const t = track();
    for (const seq of [65530, 65531, 65533, 65535, 0, 1]) feed(t, seq, seq === 0 ? 100 : 50);
    const block = t.reportBlock(200)!;
    // Expected 65530..65535 and 0..1 = 8 packets, 6 received.
    expect(block.extendedHighestSeq).toBe(0x10000 + 1);
    expect(block.cumulativeLost).toBe(2);
    expect(block.fractionLost).toBe(Math.floor((2 * 256) / 8));
    expect(t.reportBlock(300)!.fractionLost).toBe(0);
  });

  it('does not ask audio again', () => {
    const t = track('audio');
    feed(t, 1, 0);
    feed(t, 5, 1);
    expect(t.hasMissing).toBe(false);
  });
});
