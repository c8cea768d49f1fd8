// Fuzz targets of the media plane: the parsers and rewriters that see bytes from the network (RTP, RTCP,
// the VP8 payload descriptor, header extensions) and SDP from clients. Each target is a fast-check property
// that holds for every input: no throw except the typed errors the code documents, and the invariants the
// forwarding code relies on (never an offset past the buffer, ids in range). `npm run fuzz` runs them for
// a time budget; test/fuzz.test.ts runs them with fixed seeds and replays the inputs that once found bugs.
import fc from 'fast-check';
import { MediaError } from '../../src/media/errors.js';
import { Munger } from '../../src/media/Munger.js';
import { parseVp8, seqDiff, Vp8Info } from '../../src/media/rtp.js';
import { rewriteVp8Ids, Vp8Munger } from '../../src/media/Vp8Munger.js';
import { buildPublisherAnswer } from '../../src/media/ndc/publisherSdp.js';
import { parseRtcp, type RtcpSink } from '../../src/media/ndc/rtcp.js';
import { findExtension, parseRtp, RtpView, type ExtSpan } from '../../src/media/ndc/rtpHeader.js';
import { parseSdp, transportOf } from '../../src/media/ndc/sdpModel.js';
import { readSubscriberAnswer, type OfferedSection } from '../../src/media/ndc/subscriberSdp.js';
import { CHROME_OFFER } from '../media/ndc/chromeOffer.js';

export interface FuzzTarget {
  name: string;
  property: fc.IRawProperty<unknown[]>;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`invariant broken: ${what}`);
}

// --- RTP -------------------------------------------------------------------------------------------------

/** RTP-shaped bytes: version 2 with random flags, CSRC count, extension block and padding that may lie. */
const rtpShaped = fc
  .record({
    flags: fc.integer({ min: 0, max: 0x3f }),
    b1: fc.integer({ min: 0, max: 255 }),
    fixed: fc.uint8Array({ minLength: 10, maxLength: 10 }),
    csrcs: fc.uint8Array({ maxLength: 60 }),
    extProfile: fc.constantFrom(0xbede, 0x1000, 0x1001, 0x0000, 0xffff),
    extWords: fc.integer({ min: 0, max: 0xffff }),
    ext: fc.uint8Array({ maxLength: 64 }),
    payload: fc.uint8Array({ maxLength: 256 }),
    pad: fc.integer({ min: 0, max: 255 }),
  })
  .map((r) => {
    const parts = [Uint8Array.of(0x80 | r.flags, r.b1), r.fixed, r.csrcs];
    if (r.flags & 0x10) {
      parts.push(
        Uint8Array.of(r.extProfile >> 8, r.extProfile & 0xff, r.extWords >> 8, r.extWords & 0xff),
        r.ext,
      );
    }
    parts.push(r.payload, Uint8Array.of(r.pad));
    return Buffer.concat(parts);
  });

const anyBytes = fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b));

const view = new RtpView();
const span: ExtSpan = { start: 0, end: 0 };

const rtp: FuzzTarget = {
  name: 'rtp-header',
  property: fc.property(fc.oneof(rtpShaped, anyBytes), fc.integer({ min: 0, max: 255 }), (b, id) => {
    if (!parseRtp(b, view)) return;
    check(
      view.payloadOffset >= 12 && view.payloadOffset <= view.payloadEnd,
      'payload starts after the header',
    );
    check(view.payloadEnd <= b.length, 'payload ends inside the packet');
    if (view.extOffset >= 0) check(view.extOffset <= view.extEnd && view.extEnd <= view.payloadOffset, 'ext');
    if (findExtension(b, view, id, span)) {
      check(
        span.start >= view.extOffset && span.start <= span.end && span.end <= view.extEnd,
        'element span',
      );
    }
  }),
};

// --- RTCP ------------------------------------------------------------------------------------------------

const rtcpSink: RtcpSink = {
  onReportBlock: (_ssrc, fraction, jitter) => check(fraction >= 0 && fraction <= 1 && jitter >= 0, 'report'),
  onNack: (_ssrc, seqs) => check(seqs.length <= 17 * 400 && seqs.every((s) => s >= 0 && s <= 0xffff), 'nack'),
  onKeyframeRequest: () => undefined,
  onRemb: (bps, ssrcs) => check(bps >= 0 && Number.isFinite(bps) && ssrcs.length <= 255, 'remb'),
  onSenderReport: () => undefined,
};

/** One RTCP sub-packet with a real type and a length field that may be absurd. */
const rtcpPacket = fc
  .record({
    count: fc.integer({ min: 0, max: 31 }),
    type: fc.oneof(fc.constantFrom(200, 201, 202, 203, 204, 205, 206, 207), fc.integer({ min: 0, max: 255 })),
    length: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(0xffff)),
    body: fc.uint8Array({ maxLength: 160 }),
  })
  .map((p) => Buffer.concat([Uint8Array.of(0x80 | p.count, p.type, p.length >> 8, p.length & 0xff), p.body]));

const rtcp: FuzzTarget = {
  name: 'rtcp',
  property: fc.property(
    fc.oneof(
      fc.array(rtcpPacket, { minLength: 1, maxLength: 5 }).map((ps) => Buffer.concat(ps)),
      anyBytes,
    ),
    (b) => parseRtcp(b, rtcpSink),
  ),
};

// --- VP8 descriptor and id rewriting ----------------------------------------------------------------------

const vp8Payload = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc
    .record({
      b0: fc.integer({ min: 0, max: 255 }),
      x: fc.integer({ min: 0, max: 255 }),
      rest: fc.uint8Array({ maxLength: 20 }),
    })
    .map((r) => Uint8Array.of(r.b0 | 0x80, r.x, ...r.rest)),
);

const vp8: FuzzTarget = {
  name: 'vp8',
  property: fc.property(
    fc.array(vp8Payload, { minLength: 1, maxLength: 20 }),
    fc.integer({ min: -1, max: 0x7fff }),
    fc.integer({ min: -1, max: 255 }),
    (payloads, lastPic, lastTl0) => {
      const info = new Vp8Info();
      const munger = new Vp8Munger();
      if (lastPic >= 0 && lastTl0 >= 0) munger.continueFrom(lastPic, lastTl0);
      let first = true;
      for (const p of payloads) {
        if (!parseVp8(p, info)) continue;
        check(info.headerOffset < p.length, 'header inside the payload');
        if (info.pictureIdOffset >= 0) {
          check(info.pictureIdOffset + (info.pictureIdLong ? 2 : 1) <= info.headerOffset, 'picture id span');
          check(info.pictureId >= 0 && info.pictureId <= (info.pictureIdLong ? 0x7fff : 0x7f), 'picture id');
        }
        if (info.tl0Offset >= 0) check(info.tl0Offset < info.headerOffset, 'tl0 span');
        if (first) munger.rebase(info);
        first = false;
        munger.map(info);
        const src = Buffer.from(p);
        const dst = Buffer.alloc(src.length);
        check(rewriteVp8Ids(src, info, munger.outPictureId, munger.outTl0, dst) === src.length, 'length');
        // Only the id bytes may change.
        for (let i = 0; i < src.length; i++) {
          const idByte =
            (i >= info.pictureIdOffset && i < info.pictureIdOffset + (info.pictureIdLong ? 2 : 1)) ||
            i === info.tl0Offset;
          if (!idByte) check(dst[i] === src[i], `byte ${i} unchanged`);
        }
        const again = new Vp8Info();
        check(
          parseVp8(dst, again) && again.pictureIdLong === info.pictureIdLong,
          'rewritten parses the same',
        );
      }
    },
  ),
};

// --- Sequence and timestamp munging -----------------------------------------------------------------------

const munger: FuzzTarget = {
  name: 'munger',
  property: fc.property(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.array(
      fc.record({ dSeq: fc.integer({ min: -50, max: 200 }), dTs: fc.integer({ min: -9000, max: 90_000 }) }),
      {
        maxLength: 60,
      },
    ),
    fc.boolean(),
    (seq0, ts0, steps, continued) => {
      const m = new Munger(90_000);
      if (continued) m.continueFrom(1234, 5678, 0);
      m.rebase(seq0, ts0, 0);
      let seq = seq0;
      let ts = ts0;
      let lastIn = -1;
      let lastOut = -1;
      let now = 0;
      for (const s of steps) {
        seq = (seq + s.dSeq) & 0xffff;
        ts = (ts + s.dTs) >>> 0;
        now += 20;
        if (!m.map(seq, ts, now)) continue;
        check(m.outSeq >= 0 && m.outSeq <= 0xffff && m.outTs >= 0 && m.outTs <= 0xffffffff, 'ranges');
        // Within one source the output keeps the input's spacing: losses stay visible as gaps (NACK
        // works on them), reordering stays reordering.
        if (lastIn >= 0) check(seqDiff(m.outSeq, lastOut) === seqDiff(seq, lastIn), 'spacing kept');
        lastIn = seq;
        lastOut = m.outSeq;
      }
    },
  ),
};

// --- SDP -------------------------------------------------------------------------------------------------

const seedLines = CHROME_OFFER.split('\r\n');

/** The Chromium offer with lines dropped, duplicated, truncated, or replaced by junk. */
const mutatedSdp = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.constantFrom(...seedLines),
        fc.constantFrom(...seedLines).chain((l) => fc.nat(l.length).map((n) => l.slice(0, n))),
        fc.string({ maxLength: 80 }),
        fc
          .tuple(
            fc.constantFrom('a=', 'm=', 'c=', 'o=', 'a=extmap:', 'a=rid:', 'a=simulcast:', 'a=ssrc:'),
            fc.string(),
          )
          .map(([k, v]) => k + v),
      ),
      { maxLength: 80 },
    ),
    fc.constantFrom('\r\n', '\n'),
  )
  .map(([lines, eol]) => lines.join(eol));

const LOCAL = {
  ufrag: 'sfu1',
  pwd: 'sfupasswordsfupassword',
  fingerprints: ['sha-256 11:22:33'],
  setup: 'active',
  candidates: ['candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host'],
};
const OFFERED: OfferedSection[] = [
  {
    mid: '0',
    kind: 'video',
    payloadType: 96,
    rtpmap: 'VP8/90000',
    fmtp: undefined,
    ssrc: 1,
    streamId: 's',
    trackId: 't',
  },
];

const sdp: FuzzTarget = {
  name: 'sdp',
  property: fc.property(fc.oneof(mutatedSdp, fc.string({ maxLength: 2000 })), (text) => {
    try {
      const session = parseSdp(text);
      transportOf(session);
      buildPublisherAnswer(session, LOCAL, '1', 1, 1500);
      readSubscriberAnswer(session, OFFERED);
    } catch (error) {
      // Refusing an SDP is fine, with the media plane's own typed errors; anything else is a bug.
      if (!(error instanceof MediaError)) throw error;
    }
  }),
};

export const MEDIA_TARGETS: readonly FuzzTarget[] = [rtp, rtcp, vp8, munger, sdp];
