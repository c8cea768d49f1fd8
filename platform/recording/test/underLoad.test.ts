// A composite recording on a machine too busy for FFmpeg to keep up with real time: spinning processes take
// the cores while two people are recorded and a third joins. The peers' pictures show the time (tenths of a
// second in blocks) and their sound beeps at every second (a longer beep each second, in a cycle of four),
// so the test reads back from the file what time each moment of it shows: the layout change must neither
// repeat nor skip more than half a second, the sound must stay with the picture, and both must end
// together. Then someone leaves a recording: the moments around the leave must all be in the file.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutTiles } from '../src/ffmpeg.js';
import { grpcForwarder } from '../src/forwarder.js';
import { Recorder } from '../src/Recorder.js';
import { LocalStorage } from '../src/storage.js';
import { ffmpegMissing, mediaRoom, type MediaRoom } from './helpers.js';

const run = promisify(execFile);
const missing = await ffmpegMissing();
if (missing !== null) console.warn(`Skipping the recording-under-load test: ${missing}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spinning processes per core: the machine's load while the recording runs. */
const HOGS_PER_CORE = 4;
const W = 640;
const H = 360;
const SOURCE = { width: 320, height: 240 };
/** The top fifth of each picture is a grey band (it tells the layouts apart), the rest ten bit blocks. */
const BAND = 0.2;
const T0 = Date.now();

/** Tenths of a second since T0, Gray-coded (a picture caught between two values reads as one of them). */
function paint(data: Uint8Array, width: number, height: number, at: number): void {
  const tenths = Math.floor((at - T0) / 100) & 1023;
  const code = tenths ^ (tenths >> 1);
  data.fill(128);
  const top = Math.round(height * BAND);
  const bw = Math.floor(width / 5);
  const bh = Math.floor((height - top) / 2);
  for (let bit = 0; bit < 10; bit++) {
    const x0 = (bit % 5) * bw;
    const y0 = top + Math.floor(bit / 5) * bh;
    const luma = (code >> bit) & 1 ? 235 : 16;
    for (let y = y0; y < y0 + bh; y++) data.fill(luma, y * width + x0, y * width + x0 + bw);
  }
}

/** Beeps at each second k since T0 lasting 100 ms * (1 + k mod 4), in a tone of the peer's own. */
const sound =
  (hz: number) =>
  (samples: Int16Array, at: number): void => {
    for (let i = 0; i < samples.length; i++) {
      const t = at + i / 48; // ms
      const sinceT0 = t - T0;
      const k = Math.floor(sinceT0 / 1000);
      const beeping = sinceT0 - k * 1000 < 100 * (1 + (k % 4));
      samples[i] = beeping ? Math.round(0.25 * 32767 * Math.sin((2 * Math.PI * hz * t) / 1000)) : 0;
    }
  };

const TONES: Record<string, number> = { alice: 440, bob: 660, carol: 880 };

interface Probe {
  video: { start: number; end: number };
  audio: { start: number; end: number };
}

async function probe(path: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_type,start_time,duration',
    '-of',
    'json',
    path,
  ]);
  const streams = (JSON.parse(stdout) as { streams: Record<string, string>[] }).streams;
  const of = (type: string) => {
    const s = streams.find((x) => x['codec_type'] === type)!;
    const start = Number(s['start_time']);
    return { start, end: start + Number(s['duration']) };
  };
  return { video: of('video'), audio: of('audio') };
}

/** Where the source picture sits in a tile (scaled to fit, centred). */
function fit(tile: { x: number; y: number; w: number; h: number }) {
  const scale = Math.min(tile.w / SOURCE.width, tile.h / SOURCE.height);
  const w = SOURCE.width * scale;
  const h = SOURCE.height * scale;
  return { x: tile.x + (tile.w - w) / 2, y: tile.y + (tile.h - h) / 2, w, h };
}

const mean = (frame: Buffer, x0: number, y0: number, x1: number, y1: number): number => {
  let sum = 0;
  let n = 0;
  for (let y = Math.round(y0); y < Math.round(y1); y++)
    for (let x = Math.round(x0); x < Math.round(x1); x++) {
      sum += frame[y * W + x]!;
      n++;
    }
  return sum / Math.max(1, n);
};

/** The tenths of a second a picture shows, read from the first tile of a layout of `tiles` cameras. */
function readTime(frame: Buffer, tiles: number): number {
  const c = fit(layoutTiles(Array<'camera'>(tiles).fill('camera'), W, H)[0]!);
  const top = c.h * BAND;
  const bw = c.w / 5;
  const bh = (c.h - top) / 2;
  let code = 0;
  for (let bit = 0; bit < 10; bit++) {
    const x0 = c.x + (bit % 5) * bw;
    const y0 = c.y + top + Math.floor(bit / 5) * bh;
    if (mean(frame, x0 + bw / 4, y0 + bh / 4, x0 + (3 * bw) / 4, y0 + (3 * bh) / 4) > 125) code |= 1 << bit;
  }
  let tenths = 0;
  for (let g = code; g > 0; g >>= 1) tenths ^= g;
  return tenths;
}

/** How many cameras the layout of a picture has (2 or 3): the grey band of the first tile is where. */
function tilesOf(frame: Buffer): number {
  const three = fit(layoutTiles(['camera', 'camera', 'camera'], W, H)[0]!);
  const band = mean(frame, three.x + three.w * 0.4, three.y + 2, three.x + three.w * 0.6, three.y + 6);
  return band > 80 ? 3 : 2;
}

/** Pictures at 5 a second: for each, its time in the file, the layout, and the time (s since T0) it shows. */
async function pictures(path: string, videoStart: number) {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-map', '0:v', '-vf', 'fps=5', '-f', 'rawvideo', '-pix_fmt', 'gray', '-'],
    { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
  );
  const raw = stdout as unknown as Buffer;
  const out: { at: number; tiles: number; shows: number }[] = [];
  for (let i = 0; (i + 1) * W * H <= raw.length; i++) {
    const frame = raw.subarray(i * W * H, (i + 1) * W * H);
    const tiles = tilesOf(frame);
    out.push({ at: videoStart + i / 5, tiles, shows: (readTime(frame, tiles) * 100 + 50) / 1000 });
  }
  return out;
}

/** The beeps: where each begins in the file and the second since T0 it marks (resolved near `guess`). */
async function beeps(path: string, audioStart: number, guess: (at: number) => number) {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-map', '0:a', '-ac', '1', '-ar', '8000', '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const pcm = stdout as unknown as Buffer;
  const windows: number[] = [];
  for (let i = 0; (i + 80) * 2 <= pcm.length; i += 80) {
    let sum = 0;
    for (let j = i; j < i + 80; j++) sum += pcm.readInt16LE(j * 2) ** 2;
    windows.push(Math.sqrt(sum / 80));
  }
  const threshold = Math.max(...windows) * 0.3;
  const loud = (from: number, to: number) =>
    windows.slice(Math.max(0, from), Math.max(0, to)).some((w) => w >= threshold);
  const out: { at: number; marks: number }[] = [];
  // A beep is loud windows with gaps of at most 80 ms between them (a lost packet, the seam of two parts).
  for (let i = 0; i < windows.length; i++) {
    if (windows[i]! < threshold || loud(i - 8, i)) continue;
    let end = i + 1;
    while (end < windows.length && loud(end, end + 8)) end++;
    if (end >= windows.length - 8) break; // cut off by the end of the file
    const at = audioStart + i * 0.01;
    const cycle = Math.min(3, Math.max(0, Math.round(((end - i) * 10 - 100) / 100)));
    // The second k with k mod 4 = cycle nearest to what the picture shows there.
    const near = guess(at);
    let k = NaN;
    for (let c = Math.floor(near) - 3; c <= Math.ceil(near) + 3; c++)
      if (((c % 4) + 4) % 4 === cycle && !(Math.abs(c - near) >= Math.abs(k - near))) k = c;
    out.push({ at, marks: k });
  }
  return out;
}

/**
 * A composite recorder of the room into `dir`, polling the layout every 500 ms; FFmpeg may be far behind
 * here, so a stop lets it finish what it was sent (up to 2 minutes). Failures are collected, not thrown.
 */
function compositeRecorder(room: MediaRoom, dir: string, recordingId: string) {
  const storage = new LocalStorage(join(dir, 'recordings'));
  const forwarder = grpcForwarder(async () => room.grpcAddress);
  const failures: string[] = [];
  const recorder = new Recorder({
    recordingId,
    roomId: room.roomId,
    key: `${room.roomId}/${recordingId}.mp4`,
    forwarder,
    storage,
    workDir: join(dir, 'work'),
    rtpHost: '127.0.0.1',
    composite: { preset: 'veryfast', width: W, height: H },
    layoutPollMs: 500,
    drainTimeoutMs: 120_000,
    onFailure: (reason) => failures.push(reason),
  });
  return { recorder, forwarder, failures };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

describe.skipIf(missing !== null)('a composite recording on a machine that cannot keep up', () => {
  let room: MediaRoom;
  let dir: string;
  const hogs: ChildProcess[] = [];

  const stopHogs = () => {
    for (const h of hogs.splice(0)) h.kill('SIGKILL');
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-rec-load-'));
    room = await mediaRoom('rec-load', ['alice', 'bob'], (name) => ({
      paint,
      sound: sound(TONES[name] ?? 550),
    }));
  });
  afterAll(async () => {
    stopHogs();
    await room?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('cuts the layout change on media time and ends the picture with the sound', async () => {
    const { recorder, forwarder, failures } = compositeRecorder(room, dir, 'REC_load');
    for (let i = 0; i < availableParallelism() * HOGS_PER_CORE; i++)
      hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    let result;
    try {
      const startedAt = Date.now();
      await recorder.start();
      await sleep(5000);
      await room.join('carol');
      await sleep(Math.max(3000, startedAt + 14_000 - Date.now()));
      result = await recorder.stop();
    } finally {
      stopHogs();
      forwarder.close();
    }
    expect(failures).toEqual([]);
    expect(result.parts).toBe(2);
    const file = join(dir, 'recordings', 'rec-load', 'REC_load.mp4');

    // (a) The picture and the sound end together.
    const p = await probe(file);
    console.log(
      `[under load] video ${p.video.start.toFixed(2)}..${p.video.end.toFixed(2)} s, audio ${p.audio.start.toFixed(2)}..${p.audio.end.toFixed(2)} s`,
    );
    expect(Math.abs(p.audio.end - p.video.end)).toBeLessThan(0.5);
    expect(Math.abs(p.audio.end - p.audio.start - (p.video.end - p.video.start))).toBeLessThan(0.5);

    // (b) Around the layout change the time shown goes on: no second shown twice, none left out.
    const shots = await pictures(file, p.video.start);
    const change = shots.findIndex((s, i) => s.tiles === 3 && i > 0 && shots[i - 1]!.tiles === 2);
    expect(change).toBeGreaterThan(0);
    const cutAt = shots[change]!.at;
    const lag = (from: number, to: number) =>
      median(shots.filter((s) => s.at >= from && s.at < to).map((s) => s.shows - s.at));
    const before = lag(cutAt - 2.5, cutAt - 0.2);
    const after = lag(cutAt + 0.2, cutAt + 2.5);
    console.log(
      `[under load] layout change at ${cutAt.toFixed(2)} s; picture time - file time: ${before.toFixed(2)} s before, ${after.toFixed(2)} s after`,
    );
    // A repeat shows as the picture's time falling behind the file's, a skip as it running ahead.
    expect(Math.abs(after - before)).toBeLessThan(0.5);
    // Everywhere, the time shown moves on with the file (a misread picture aside).
    const wild = shots.filter(
      (s) => Math.abs(s.shows - s.at - median(shots.map((x) => x.shows - x.at))) > 0.6,
    );
    expect(wild.length).toBeLessThanOrEqual(Math.ceil(shots.length * 0.05));

    // The sound: each beep with the picture (within half a second) on both sides of the change.
    const pictureLag = (at: number) => lag(at - 1.5, at + 1.5);
    const marks = await beeps(file, p.audio.start, (at) => at + pictureLag(at));
    const near = marks.filter((m) => Math.abs(m.at - cutAt) < 4);
    console.log(
      `[under load] beeps around the change: ${near.map((m) => `${m.at.toFixed(2)}s=#${m.marks}`).join(' ')}`,
    );
    expect(near.length).toBeGreaterThanOrEqual(4);
    for (const m of near) expect(Math.abs(m.marks - m.at - pictureLag(m.at))).toBeLessThan(0.5);
    // One beep per second, none twice.
    const seconds = near.map((m) => m.marks);
    expect(new Set(seconds).size).toBe(seconds.length);
  });
});

describe.skipIf(missing !== null)('a composite recording when someone leaves', () => {
  let room: MediaRoom;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-rec-leave-'));
    room = await mediaRoom('rec-leave', ['alice', 'bob', 'carol'], (name) => ({
      paint,
      sound: sound(TONES[name] ?? 550),
    }));
  });
  afterAll(async () => {
    await room?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the moments around the leave: the time shown goes on and the file is as long as the recording', async () => {
    const { recorder, forwarder, failures } = compositeRecorder(room, dir, 'REC_leave');
    let result;
    try {
      const startedAt = Date.now();
      await recorder.start();
      await sleep(5000);
      await room.leave('carol');
      await sleep(Math.max(5000, startedAt + 14_000 - Date.now()));
      result = await recorder.stop();
    } finally {
      forwarder.close();
    }
    expect(failures).toEqual([]);
    expect(result.parts).toBe(2);
    const file = join(dir, 'recordings', 'rec-leave', 'REC_leave.mp4');
    const p = await probe(file);
    const shots = await pictures(file, p.video.start);
    const change = shots.findIndex((s, i) => s.tiles === 2 && i > 0 && shots[i - 1]!.tiles === 3);
    expect(change).toBeGreaterThan(0);
    const cutAt = shots[change]!.at;
    const lag = (from: number, to: number) =>
      median(shots.filter((s) => s.at >= from && s.at < to).map((s) => s.shows - s.at));
    const before = lag(cutAt - 2.5, cutAt - 0.2);
    const after = lag(cutAt + 0.2, cutAt + 2.5);
    // The whole file: from the time its first pictures show to the time its last ones show.
    const first = lag(p.video.start, p.video.start + 2);
    const last = lag(p.video.end - 2, p.video.end);
    console.log(
      `[leave] video ${p.video.start.toFixed(2)}..${p.video.end.toFixed(2)} s, leave at ${cutAt.toFixed(2)} s; ` +
        `picture time - file time: ${before.toFixed(2)} s before, ${after.toFixed(2)} s after; ` +
        `${first.toFixed(2)} s at the start, ${last.toFixed(2)} s at the end`,
    );
    // A skip shows as the picture's time running ahead of the file's across the leave.
    expect(Math.abs(after - before)).toBeLessThan(0.5);
    // The file is as long as the time it recorded: the picture's time moves on with the file's throughout.
    expect(Math.abs(last - first)).toBeLessThan(0.5);
    expect(Math.abs(p.audio.end - p.audio.start - (p.video.end - p.video.start))).toBeLessThan(0.5);
  });
});
