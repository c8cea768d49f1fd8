import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FONT_CANDIDATES } from '../src/ffmpeg.js';
import { grpcForwarder } from '../src/forwarder.js';
import { finalizeInterrupted, Recorder } from '../src/Recorder.js';
import { S3Storage } from '../src/s3Storage.js';
import { LocalStorage, type RecordingStorage } from '../src/storage.js';
import { ffmpegMissing, ffprobe, gridLuma, mediaRoom, recordThenKill, type MediaRoom } from './helpers.js';
import { startS3, type S3Peer } from './s3.js';

const missing = await ffmpegMissing();
if (missing !== null) console.warn(`Skipping the recorder media tests: ${missing}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing !== null).each(['local', 's3'] as const)(
  'a composite recording stored %s',
  (kind) => {
    let room: MediaRoom;
    let dir: string;
    let s3: S3Peer | undefined;
    let storage: RecordingStorage;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'origo-rec-layout-'));
      room = await mediaRoom('rec-room', ['alice', 'bob']);
      if (kind === 's3') s3 = await startS3();
      storage = s3 === undefined ? new LocalStorage(join(dir, 'recordings')) : new S3Storage(s3.options);
    });
    afterAll(async () => {
      await room?.close();
      if (storage instanceof S3Storage) storage.close();
      await s3?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('records 10 s into one playable MP4 whose layout changes when a third person joins', async () => {
      const forwarder = grpcForwarder(async () => room.grpcAddress);
      const failures: string[] = [];
      const names = new Map(room.peers.map((p, i) => [p.id, ['Alice', 'Bob'][i]!]));
      const recorder = new Recorder({
        recordingId: 'REC_test1',
        roomId: room.roomId,
        key: 'rec-room/REC_test1.mp4',
        forwarder,
        storage,
        workDir: join(dir, 'work'),
        rtpHost: '127.0.0.1',
        composite: { preset: 'ultrafast', width: 640, height: 360, fontFile: FONT_CANDIDATES[0] },
        names: () => Promise.resolve(names),
        layoutPollMs: 500,
        onFailure: (reason) => failures.push(reason),
      });
      const startedAt = Date.now();
      const streams = await recorder.start();
      expect(streams.map((s) => s.kind).sort()).toEqual(['audio', 'audio', 'video', 'video']);
      await sleep(4000);
      const carolJoinedAt = Date.now();
      await room.join('carol');
      await sleep(Math.max(0, startedAt + 10_000 - Date.now()));
      const stoppedAt = Date.now();
      const mediaStartedAt = recorder.mediaStartedAt;
      const result = await recorder.stop();
      forwarder.close();
      expect(failures).toEqual([]);
      expect(result.parts).toBe(2);
      expect(result.streams.filter((s) => s.kind === 'video')).toHaveLength(3);
      expect(result.bytes).toBeGreaterThan(10_000);

      const file = join(dir, 'downloaded.mp4');
      await pipeline(storage.open('rec-room/REC_test1.mp4'), createWriteStream(file));
      const probe = await ffprobe(file);
      expect(probe.video).toEqual([{ codec: 'h264', width: 640, height: 360 }]);
      expect(probe.audio).toHaveLength(1);
      expect(probe.audio[0]!.codec).toBe('aac');
      // The media begins at the first keyframe after the start (later on a loaded machine); from there the
      // file is within 10 % of the time recorded: no gap and no repeat at the layout change.
      expect(mediaStartedAt).toBeDefined();
      const startupMs = mediaStartedAt! - startedAt;
      console.log(`[recording ${kind}] first frame ${startupMs} ms after start, file ${probe.durationS} s`);
      expect(startupMs).toBeLessThan(4000);
      const recordedS = (stoppedAt - mediaStartedAt!) / 1000;
      expect(probe.durationS).toBeGreaterThan(recordedS * 0.9);
      expect(probe.durationS).toBeLessThan(recordedS * 1.1);
      // Mean luma in cells of a grid: the synthetic camera is grey (dark or light; 33 or more here) with a
      // white square, the empty canvas black (16 or less).
      // Two people: side by side, each a 4:3 picture letterboxed in half the canvas, so the top and bottom
      // eighths are black and both halves show a camera in the middle. Looked for at several times before
      // the third person's join (in file time): on a loaded machine the second camera's first frame, and
      // so the two-person layout, comes later than on a quiet one.
      const carolS = (carolJoinedAt - mediaStartedAt!) / 1000;
      const black = (v: number) => v < 22;
      const camera = (v: number) => v > 26;
      // 4 columns by 8 rows.
      const twoUp = (g: number[]) =>
        [0, 1, 2, 3, 28, 29, 30, 31].every((i) => black(g[i]!)) &&
        [12, 15, 16, 19].every((i) => camera(g[i]!));
      const samples: number[][] = [];
      for (let t = 0.5; t < carolS - 0.3; t += 0.5) {
        const grid = await gridLuma(file, t, 4, 8);
        samples.push(grid.map(Math.round));
        if (twoUp(grid)) break;
      }
      expect(samples.some(twoUp), JSON.stringify(samples)).toBe(true);
      // Three: two on top, the third centred below them.
      const late = Math.min(probe.durationS - 0.7, 9);
      expect(twoUp(await gridLuma(file, late, 4, 8)), 'three people are not laid out as two').toBe(false);
      const after = await gridLuma(file, late, 4, 4);
      expect(camera(after[0]!), `top left ${after[0]}`).toBe(true);
      expect(camera(after[3]!), `top right ${after[3]}`).toBe(true);
      expect(black(after[3 * 4 + 0]!), `bottom left ${after[12]}`).toBe(true);
      expect(camera(after[3 * 4 + 1]!), `bottom centre ${after[13]}`).toBe(true);
    });
  },
);

describe.skipIf(missing !== null)('recordings of a room', () => {
  let room: MediaRoom;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'origo-rec-'));
    room = await mediaRoom('rec-room', ['alice', 'bob']);
  });
  afterAll(async () => {
    await room?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('copies each track into its own file for post-production, with a manifest of whose it is', async () => {
    const storage = new LocalStorage(join(dir, 'recordings'));
    const forwarder = grpcForwarder(async () => room.grpcAddress);
    const names = new Map(room.peers.map((p) => [p.id, `Name of ${p.id}`]));
    const recorder = new Recorder({
      recordingId: 'REC_tracks',
      roomId: room.roomId,
      key: 'rec-room/REC_tracks.tar',
      forwarder,
      storage,
      workDir: join(dir, 'work'),
      rtpHost: '127.0.0.1',
      layout: 'tracks',
      names: () => Promise.resolve(names),
    });
    await recorder.start();
    await sleep(5000);
    await recorder.stop();
    forwarder.close();
    const out = join(dir, 'tracks-out');
    await mkdir(out);
    execFileSync('tar', ['-xf', join(dir, 'recordings', 'rec-room', 'REC_tracks.tar'), '-C', out]);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      parts: { tracks: { file: string; kind: string; participant_id: string; name: string }[] }[];
    };
    const tracks = manifest.parts.flatMap((p) => p.tracks);
    // Everyone in the room, video and audio each.
    expect(tracks).toHaveLength(room.peers.length * 2);
    for (const t of tracks) {
      expect(t.name).toBe(`Name of ${t.participant_id}`);
      const probe = await ffprobe(join(out, t.file));
      if (t.kind === 'video') expect(probe.video.map((v) => v.codec)).toEqual(['vp8']);
      else expect(probe.audio.map((a) => a.codec)).toEqual(['opus']);
      expect(probe.durationS).toBeGreaterThan(3);
    }
  });

  it('finishes a recording whose recorder was killed from the parts it left on disk', async () => {
    const storage = new LocalStorage(join(dir, 'recordings'));
    const workDir = join(dir, 'work-killed');
    await recordThenKill({
      sfuAddress: room.grpcAddress,
      recordingId: 'REC_killed',
      roomId: room.roomId,
      key: 'rec-room/REC_killed.mp4',
      storageDir: join(dir, 'recordings'),
      workDir,
      forMs: 5000,
    });

    const forwarder = grpcForwarder(async () => room.grpcAddress);
    const result = await finalizeInterrupted({ recordingId: 'REC_killed', workDir, storage, forwarder });
    forwarder.close();
    expect(result).not.toBeNull();
    const probe = await ffprobe(join(dir, 'recordings', 'rec-room', 'REC_killed.mp4'));
    expect(probe.video).toHaveLength(1);
    expect(probe.audio).toHaveLength(1);
    expect(probe.durationS).toBeGreaterThan(3);
    // The FFmpeg the dead recorder left behind was stopped, and its work folder removed.
    await expect(rm(join(workDir, 'REC_killed'), { recursive: false })).rejects.toThrow();
  });
});
