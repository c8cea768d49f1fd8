import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSdp,
  compositeFilter,
  concatList,
  DEFAULT_COMPOSITE,
  gridOf,
  layoutTiles,
  type RtpStreamDescription,
} from '../src/ffmpeg.js';
import { reserveRtpPorts } from '../src/ports.js';
import { LocalStorage } from '../src/storage.js';

const stream = (kind: 'audio' | 'video', port: number): RtpStreamDescription => ({
  trackId: `TR_${port}`,
  participantId: 'p',
  kind,
  source: kind === 'video' ? 'camera' : 'microphone',
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
    const cameras = (n: number) => Array.from({ length: n }, () => ({ source: 'camera' as const }));
    const f = compositeFilter(cameras(3), 2, DEFAULT_COMPOSITE);
    // Two on top, the third centred below.
    expect(f.graph).toContain('xstack=inputs=3:layout=0_0|640_0|320_360');
    expect(f.graph).toContain('amix=inputs=2');
    expect(f.standIns).toEqual([]);
  });

  it('puts a screen share on the stage with the cameras in a column beside it', () => {
    const tiles = layoutTiles(['camera', 'screen', 'camera'], 1280, 720);
    expect(tiles[1]).toEqual({ x: 0, y: 0, w: 960, h: 720 });
    expect(tiles[0]).toMatchObject({ x: 960, w: 320 });
    expect(tiles[2]).toMatchObject({ x: 960, w: 320 });
    expect(tiles[2]!.y).toBe(tiles[0]!.y + tiles[0]!.h);
    // A share alone fills the canvas.
    expect(layoutTiles(['screen'], 1280, 720)).toEqual([{ x: 0, y: 0, w: 1280, h: 720 }]);
  });

  it('draws each name under its tile without expanding what the name says', () => {
    const f = compositeFilter([{ source: 'camera', nameFile: '/w/part-0-name-0.txt' }], 1, {
      ...DEFAULT_COMPOSITE,
      fontFile: '/fonts/Sans.ttf',
    });
    expect(f.graph).toContain('drawtext=fontfile=/fonts/Sans.ttf:textfile=/w/part-0-name-0.txt');
    expect(f.graph).toContain('expansion=none');
    // No font: no names.
    expect(
      compositeFilter([{ source: 'camera', nameFile: '/w/n.txt' }], 1, DEFAULT_COMPOSITE).graph,
    ).not.toContain('drawtext');
  });

  it('stands in a black picture or silence so every part of a recording has both streams', () => {
    const audioOnly = compositeFilter([], 1, DEFAULT_COMPOSITE);
    expect(audioOnly.standIns).toEqual(['color=c=black:s=1280x720:r=15']);
    expect(audioOnly.graph).toContain('[1:v]format=yuv420p[vout]');
    const videoOnly = compositeFilter([{ source: 'camera' }], 0, DEFAULT_COMPOSITE);
    expect(videoOnly.standIns).toEqual(['anullsrc=r=48000:cl=stereo']);
    expect(videoOnly.graph).toContain('[1:a]anull[aout]');
  });

  it('lists the parts to join, each cut where the next begins', () => {
    expect(concatList([{ path: "/w/it's/part-0.mp4", outpointS: 4.25 }, { path: '/w/part-1.mp4' }])).toBe(
      "ffconcat version 1.0\nfile '/w/it'\\''s/part-0.mp4'\noutpoint 4.250\nfile '/w/part-1.mp4'\n",
    );
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
