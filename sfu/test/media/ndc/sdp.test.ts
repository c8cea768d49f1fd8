import { describe, expect, it } from 'vitest';
import { SdpRejectedError } from '../../../src/media/errors.js';
import { announce, candidateUfrag, isMdnsCandidate } from '../../../src/media/ndc/candidates.js';
import { buildPublisherAnswer } from '../../../src/media/ndc/publisherSdp.js';
import { parseSdp, transportOf, type TransportParams } from '../../../src/media/ndc/sdpModel.js';
import {
  buildSubscriberOffer,
  readSubscriberAnswer,
  type OfferedSection,
} from '../../../src/media/ndc/subscriberSdp.js';
import { CHROME_OFFER } from './chromeOffer.js';

const LOCAL: TransportParams = {
  ufrag: 'sfu1',
  pwd: 'sfupasswordsfupassword',
  fingerprints: ['sha-256 11:22:33'],
  setup: 'active',
  candidates: ['candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host'],
};

describe('publisher answer', () => {
  it('accepts simulcast VP8 and Opus receive-only with the extensions the SFU reads, rejects the rest', () => {
    const offer = parseSdp(CHROME_OFFER);
    expect(transportOf(offer)).toMatchObject({
      ufrag: 'Ab12',
      setup: 'actpass',
      fingerprints: ['sha-256 AA:BB:CC'],
    });
    const { sdp, sections } = buildPublisherAnswer(offer, LOCAL, '1', 1, 1500);
    expect(sections.map((s) => [s.mid, s.kind, s.payloadType, s.sending])).toEqual([
      ['0', 'video', 96, true],
      ['1', 'audio', 111, true],
    ]);
    expect(sections[0]).toMatchObject({ midExtId: 4, ridExtId: 10, rids: ['q', 'h', 'f'], ssrcs: [] });
    expect(sections[1]).toMatchObject({ midExtId: 4, audioLevelExtId: 1, ssrcs: [1111] });
    const answer = parseSdp(sdp);
    expect(answer.media.map((m) => [m.mid, m.port === 0 ? 'rejected' : m.direction])).toEqual([
      ['0', 'recvonly'],
      ['1', 'recvonly'],
      ['2', 'rejected'],
    ]);
    expect(sdp).toContain('a=group:BUNDLE 0 1\r\n');
    expect(sdp).toContain('m=video 9 UDP/TLS/RTP/SAVPF 96\r\n');
    expect(sdp).toContain('a=rid:h recv');
    expect(sdp).toContain('a=simulcast:recv q;h;f');
    expect(sdp).toContain('a=fmtp:96 x-google-start-bitrate=1500');
    expect(sdp).toContain('a=rtcp-fb:96 nack pli');
    expect(sdp).not.toContain('transport-cc');
    expect(sdp).not.toContain('rtx');
    expect(sdp).toContain('a=setup:active');
    // Our candidates once, in the bundle tag's section.
    expect(sdp.split('a=candidate:').length).toBe(2);
  });

  it('answers a section that stopped sending as inactive and drops it from the active set', () => {
    const offer = parseSdp(
      CHROME_OFFER.replace(
        'a=sendonly\r\na=rtcp-mux\r\na=rtpmap:111',
        'a=inactive\r\na=rtcp-mux\r\na=rtpmap:111',
      ),
    );
    const { sections } = buildPublisherAnswer(offer, LOCAL, '1', 2, 1500);
    expect(sections.find((s) => s.mid === '1')?.sending).toBe(false);
  });

  it('refuses SDP without ICE credentials or fingerprint with a typed error', () => {
    const noIce =
      'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n';
    expect(() => transportOf(parseSdp(noIce))).toThrow(SdpRejectedError);
    expect(() => parseSdp('v=0\r\ngarbage\r\n')).toThrow(SdpRejectedError);
    expect(() => parseSdp('v=0\r\ns=-\r\n')).toThrow(SdpRejectedError);
  });
});

describe('subscriber offer and answer', () => {
  const sections: OfferedSection[] = [
    {
      mid: '0',
      kind: 'video',
      payloadType: 96,
      rtpmap: 'VP8/90000',
      fmtp: undefined,
      ssrc: 1234,
      streamId: 'alice',
      trackId: 'TR_cam',
    },
    {
      mid: '1',
      kind: 'audio',
      payloadType: 111,
      rtpmap: 'opus/48000/2',
      fmtp: 'minptime=10;useinbandfec=1',
      ssrc: 0,
      streamId: 'bob',
      trackId: 'TR_mic',
    },
  ];

  it('offers active sections send-only with SSRC and msid, spare ones inactive, all bundled', () => {
    const sdp = buildSubscriberOffer(sections, { ...LOCAL, setup: 'actpass' }, '9', 3, 'cn');
    const offer = parseSdp(sdp);
    expect(offer.media.map((m) => [m.mid, m.direction])).toEqual([
      ['0', 'sendonly'],
      ['1', 'inactive'],
    ]);
    expect(sdp).toContain('a=group:BUNDLE 0 1');
    expect(sdp).toContain('a=ssrc:1234 msid:alice TR_cam');
    expect(sdp).toContain('a=msid:alice TR_cam');
    expect(sdp).not.toContain('TR_mic');
    expect(sdp).toContain('a=setup:actpass');
  });

  it('reads which sections the answer accepted and the extension ids it kept', () => {
    const answer = parseSdp(
      [
        'v=0',
        'o=- 1 1 IN IP4 0.0.0.0',
        's=-',
        't=0 0',
        'a=group:BUNDLE 0 1',
        'm=video 9 UDP/TLS/RTP/SAVPF 96',
        'a=mid:0',
        'a=ice-ufrag:u',
        'a=ice-pwd:pppppppppppppppppppppp',
        'a=fingerprint:sha-256 AA',
        'a=setup:active',
        'a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid',
        'a=recvonly',
        'm=audio 9 UDP/TLS/RTP/SAVPF 111',
        'a=mid:1',
        'a=inactive',
        '',
      ].join('\r\n'),
    );
    expect(readSubscriberAnswer(answer, sections)).toEqual([
      { accepted: true, midExtId: 1, absSendTimeExtId: 0 },
      { accepted: false, midExtId: 0, absSendTimeExtId: 0 },
    ]);
    expect(readSubscriberAnswer(answer, sections.slice(0, 1))).toBeNull();
  });
});

describe('candidates', () => {
  it('recognises mDNS host names (RFC 8828) and reads the ufrag of a trickled candidate', () => {
    expect(isMdnsCandidate('candidate:1 1 udp 2122260223 6f9e1c2a-1.local 54321 typ host')).toBe(true);
    expect(isMdnsCandidate('candidate:1 1 udp 2122260223 192.0.2.7 54321 typ host')).toBe(false);
    expect(
      candidateUfrag('candidate:1 1 udp 1 1.2.3.4 5 typ host generation 0 ufrag Xy12 network-id 1'),
    ).toBe('Xy12');
  });

  it('puts the announced addresses of the same family into host candidates', () => {
    const host = 'candidate:1 1 UDP 2114977791 10.1.2.3 40000 typ host';
    expect(announce(host, ['203.0.113.9', '2001:db8::1'])).toEqual([
      'candidate:10 1 UDP 2114977791 203.0.113.9 40000 typ host',
    ]);
    expect(announce(host, [])).toEqual([host]);
    expect(announce('candidate:2 1 UDP 1 fd00::2 40000 typ host', ['203.0.113.9'])).toEqual([
      'candidate:2 1 UDP 1 fd00::2 40000 typ host',
    ]);
  });
});
