import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcForwarder } from '../src/forwarder.js';
import { Recorder } from '../src/Recorder.js';
import { LocalStorage } from '../src/storage.js';
import { ffmpegMissing, ffprobe, gridLuma, mediaRoom, type MediaRoom } from './helpers.js';

const missing = await ffmpegMissing();
if (missing !== null) console.warn(`Skipping the recorder media tests: ${missing}`);

describe.skipIf(missing !== null)('composite recording of a room with two publishers', () => {
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

  it('records 10 s into a playable MP4 with one composite video and the mixed audio', async () => {
    const storage = new LocalStorage(join(dir, 'recordings'));
    const forwarder = grpcForwarder(async () => room.grpcAddress);
    const failures: string[] = [];
    const recorder = new Recorder({
      recordingId: 'REC_test1',
      roomId: room.roomId,
      key: 'rec-room/REC_test1.mp4',
      forwarder,
      storage,
      workDir: join(dir, 'work'),
      rtpHost: '127.0.0.1',
      composite: { preset: 'ultrafast', width: 640, height: 360 },
      onFailure: (reason) => failures.push(reason),
    });
    const streams = await recorder.start();
    expect(streams.map((s) => s.kind).sort()).toEqual(['audio', 'audio', 'video', 'video']);
    await new Promise((r) => setTimeout(r, 10_000));
    const result = await recorder.stop();
    forwarder.close();
    expect(failures).toEqual([]);
    expect(result.bytes).toBeGreaterThan(10_000);

    const file = join(dir, 'recordings', 'rec-room', 'REC_test1.mp4');
    const probe = await ffprobe(file);
    expect(probe.video).toEqual([{ codec: 'h264', width: 640, height: 360 }]);
    expect(probe.audio).toHaveLength(1);
    expect(probe.audio[0]!.codec).toBe('aac');
    expect(probe.durationS).toBeGreaterThan(9);
    expect(probe.durationS).toBeLessThan(11);
    // Both cameras are in the picture: each half of the frame is lit (the synthetic camera is mid-grey with a
    // white square), not the black of an empty tile.
    const [left, right] = await gridLuma(file, 5, 2, 1);
    expect(left).toBeGreaterThan(40);
    expect(right).toBeGreaterThan(40);
  });
});
