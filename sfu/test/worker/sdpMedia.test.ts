import { describe, expect, it } from 'vitest';
import { parseOfferMedia } from '../../src/worker/sdpMedia.js';

const offer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1 2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:0',
  'a=sendonly',
  'a=msid:stream-a cam-track',
  'a=rid:q send',
  'a=rid:h send',
  'a=rid:f send',
  'a=simulcast:send q;h;f',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'a=mid:1',
  'a=sendrecv',
  'a=msid:- mic-track',
  'm=video 0 UDP/TLS/RTP/SAVPF 96',
  'a=mid:2',
  'a=sendonly',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:3',
  '',
].join('\r\n');

describe('parseOfferMedia', () => {
  it('reads mid, kind, msid track id, direction and send rids per m-section', () => {
    expect(parseOfferMedia(offer)).toEqual([
      { mid: '0', kind: 'video', trackId: 'cam-track', sending: true, rids: ['q', 'h', 'f'] },
      { mid: '1', kind: 'audio', trackId: 'mic-track', sending: true, rids: [] },
      { mid: '2', kind: 'video', trackId: '', sending: false, rids: [] },
      { mid: '3', kind: 'video', trackId: '', sending: false, rids: [] },
    ]);
  });

  it('treats recvonly and inactive sections as not sending and survives garbage', () => {
    const sdp = 'v=0\nm=audio 9 RTP/AVP 0\na=mid:a\na=recvonly\nm=video 9 RTP/AVP 96\na=mid:v\na=inactive\n';
    expect(parseOfferMedia(sdp).map((m) => m.sending)).toEqual([false, false]);
    expect(parseOfferMedia('hello')).toEqual([]);
    expect(parseOfferMedia('m=video\r\na=rid:\r\na=msid:\r\n')).toHaveLength(1);
  });
});
