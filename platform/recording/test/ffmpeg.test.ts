import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSdp,
  compositeFilter,
  DEFAULT_COMPOSITE,
  gridOf,
  type RtpStreamDescription,
} from '../src/ffmpeg.js';
import { reserveRtpPorts } from '../src/ports.js';
import { LocalStorage } from '../src/storage.js';

const stream = (kind: 'audio' | 'video', port: number): RtpStreamDescription => ({
  trackId: `TR_${port}`,
  participantId: 'p',
  kind,
  mimeType: kind === 'video' ? 'video/VP8' : 'audio/opus',
  clockRate: kind === 'video' ? 90000 : 48000,
  channels: kind === 'video' ? 0 : 2,
  payloadType: kind === 'video' ? 96 : 111,
  port,
});

describe('the SDP and the layout FFmpeg is given', () => {
  it('describes one m-line per stream on its port with the codec the SFU sends', () => {
    const sdp = buildSdp('127.0.0.1', [stream('video', 40000), stream('audio', 40002)]);
    expect(sdp).toContain('c=IN IP4 127.0.0.1\r\n');
    expect(sdp).toContain('m=video 40000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n');
    expect(sdp).toContain('m=audio 40002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n');
  });

  it('lays out cameras in the smallest near-square grid', () => {
    expect([1, 2, 3, 4, 5, 9, 10].map(gridOf)).toEqual([
      { cols: 1, rows: 1 },
      { cols: 2, rows: 1 },
      { cols: 2, rows: 2 },
      { cols: 2, rows: 2 },
      { cols: 3, rows: 2 },
      { cols: 3, rows: 3 },
      { cols: 4, rows: 3 },
    ]);
    const f = compositeFilter(3, 2, DEFAULT_COMPOSITE);
    expect(f.graph).toContain('xstack=inputs=3:layout=0_0|640_0|0_360');
    expect(f.graph).toContain('amix=inputs=2');
    expect(compositeFilter(0, 1, DEFAULT_COMPOSITE).video).toBeNull();
  });

  it('finds distinct even RTP ports with the RTCP port beside each free', async () => {
    const ports = await reserveRtpPorts('127.0.0.1', 4);
    expect(new Set(ports).size).toBe(4);
    for (const p of ports) expect(p % 2).toBe(0);
  });
});

describe('local recording storage', () => {
  it('stores, sizes, reads and deletes a file, and refuses keys that leave its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'origo-store-'));
    try {
      const storage = new LocalStorage(join(dir, 'recordings'));
      await storage.check();
      const src = join(dir, 'src.mp4');
      await writeFile(src, 'abc');
      expect(await storage.put('m1/r1.mp4', src)).toEqual({ key: 'm1/r1.mp4', bytes: 3 });
      expect(await storage.stat('m1/r1.mp4')).toEqual({ key: 'm1/r1.mp4', bytes: 3 });
      const chunks: Buffer[] = [];
      for await (const c of storage.open('m1/r1.mp4')) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe('abc');
      await storage.delete('m1/r1.mp4');
      expect(await storage.stat('m1/r1.mp4')).toBeNull();
      await expect(storage.put('../escape.mp4', src)).rejects.toThrow(TypeError);
      await expect(storage.put('/abs.mp4', src)).rejects.toThrow(TypeError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
