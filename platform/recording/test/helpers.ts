// A room with real media for the recording tests: an SFU worker in-process and libwebrtc peers publishing
// synthetic VP8 video and Opus audio through its gRPC API; FFmpeg presence and ffprobe.
import { execFile, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createGrpcClient, createLogger, unary } from '@origo/kit';
import { SfuServiceClient } from '@origo/proto/sfu-rpc';
import { createSfuWorkerService, type SfuWorkerService } from '@origo/sfu';
import { waitFor } from '@origo/kit/testing';
import { EventFeed, grpcRouter, WrtcClient, type ClientOptions, type GrpcPeer } from '@origo/sfu/testing';
import { checkFfmpeg } from '../src/ffmpeg.js';

const run = promisify(execFile);

/** Whether FFmpeg and ffprobe run here; outside CI a missing one skips the media tests with this reason. */
export async function ffmpegMissing(): Promise<string | null> {
  try {
    await checkFfmpeg('ffmpeg');
    await checkFfmpeg('ffprobe');
    return null;
  } catch (err) {
    if (process.env['CI'] !== undefined) throw err;
    return (err as Error).message;
  }
}

export interface Probe {
  durationS: number;
  video: { codec: string; width: number; height: number }[];
  audio: { codec: string; channels: number }[];
}

export async function ffprobe(path: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    path,
  ]);
  const json = JSON.parse(stdout) as {
    format: { duration?: string };
    streams: { codec_type: string; codec_name: string; width?: number; height?: number; channels?: number }[];
  };
  return {
    durationS: Number(json.format.duration ?? 0),
    video: json.streams
      .filter((s) => s.codec_type === 'video')
      .map((s) => ({ codec: s.codec_name, width: s.width ?? 0, height: s.height ?? 0 })),
    audio: json.streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({ codec: s.codec_name, channels: s.channels ?? 0 })),
  };
}

export interface MediaRoom {
  roomId: string;
  grpcAddress: string;
  peers: WrtcClient<GrpcPeer>[];
  /** Another publishing peer joins; resolves once its video and audio are published. */
  join(name: string): Promise<WrtcClient<GrpcPeer>>;
  /** A peer leaves as signaling makes one leave: the SFU closes its peer (its tracks end), then it hangs up. */
  leave(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A worker with a router for `roomId` and one publishing peer per name, each decoding the others; `media`
 * changes what each peer sends (a picture and a sound that tell the time, for instance).
 */
export async function mediaRoom(
  roomId: string,
  names: string[],
  media: (name: string) => ClientOptions = () => ({}),
): Promise<MediaRoom> {
  const service: SfuWorkerService = createSfuWorkerService({
    workerId: 'w-rec',
    nodeId: 'node-rec',
    logger: createLogger({ service: 'sfu', level: 'silent' }),
    router: { transport: 'ndc' },
  });
  const { grpcAddress } = await service.listen();
  const client = createGrpcClient(SfuServiceClient, grpcAddress);
  const feed = new EventFeed(client);
  await feed.ready;
  await unary(client.createRouter.bind(client), { roomId });
  const router = grpcRouter(client, roomId, feed);
  const peers: WrtcClient<GrpcPeer>[] = [];
  const published = () =>
    feed.events.filter((e) => e.roomId === roomId && e.event?.$case === 'trackPublished').length;
  const join = async (name: string) => {
    const p = new WrtcClient<GrpcPeer>(name, {
      simulcast: false,
      width: 320,
      height: 240,
      ...media(name),
    });
    peers.push(p);
    await p.join(router);
    await p.peer.created;
    return p;
  };
  for (const name of names) await join(name);
  await waitFor(() => published() >= names.length * 2, {
    timeoutMs: 60_000,
    what: 'every peer publishing video and audio',
  });
  return {
    roomId,
    grpcAddress,
    peers,
    async join(name) {
      const before = published();
      const p = await join(name);
      await waitFor(() => published() >= before + 2, {
        timeoutMs: 60_000,
        what: `${name} publishing video and audio`,
      });
      return p;
    },
    async leave(name) {
      await unary(client.closePeer.bind(client), { roomId, participantId: name });
      const i = peers.findIndex((p) => p.id === name);
      if (i >= 0) peers.splice(i, 1)[0]!.close();
    },
    async close() {
      for (const p of peers) p.close();
      feed.close();
      client.close();
      await service.stop(1000);
    },
  };
}

/** Mean luma (0..255) of each cell of a cols x rows grid over the frame at `atS` seconds of the video. */
export async function gridLuma(path: string, atS: number, cols: number, rows: number): Promise<number[]> {
  const probe = await ffprobe(path);
  const { width, height } = probe.video[0] ?? { width: 0, height: 0 };
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-ss',
      String(atS),
      '-i',
      path,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const frame = stdout as unknown as Buffer;
  const sums = new Array<number>(cols * rows).fill(0);
  const counts = new Array<number>(cols * rows).fill(0);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const cell =
        Math.min(rows - 1, Math.floor((y * rows) / height)) * cols +
        Math.min(cols - 1, Math.floor((x * cols) / width));
      sums[cell]! += frame[y * width + x]!;
      counts[cell]!++;
    }
  return sums.map((s, i) => s / Math.max(1, counts[i]!));
}

/**
 * Records `roomId` in a recorder process of its own (test/fixtures/recorderChild.ts) until its FFmpeg has
 * written `forMs` of media, then kills that process with SIGKILL, leaving its FFmpeg and work files behind.
 */
export async function recordThenKill(o: {
  sfuAddress: string;
  recordingId: string;
  roomId: string;
  key: string;
  storageDir: string;
  workDir: string;
  forMs: number;
}): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'fixtures', 'recorderChild.ts')],
    {
      env: {
        ...process.env,
        REC_SFU_ADDRESS: o.sfuAddress,
        REC_ID: o.recordingId,
        REC_ROOM: o.roomId,
        REC_KEY: o.key,
        REC_STORAGE: o.storageDir,
        REC_WORK: o.workDir,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor(() => out.includes('started'), { timeoutMs: 60_000, what: 'the recorder child started' });
    // Killed once its FFmpeg has written `forMs` of media (on a loaded host the first keyframe and the
    // encoder can lag the start by seconds; a fixed wait could kill it before anything was written).
    const partFile = async (): Promise<string | undefined> => {
      const meta = await readFile(join(o.workDir, o.recordingId, 'meta.json'), 'utf8').catch(() => undefined);
      const part =
        meta === undefined ? undefined : (JSON.parse(meta) as { parts: { file: string }[] }).parts[0];
      return part === undefined ? undefined : join(o.workDir, o.recordingId, part.file);
    };
    let written = 0;
    // What the last look found, for a timeout to say where the media stopped: no part yet, a part FFmpeg
    // has not written a readable header to, or one without video.
    let seen: Record<string, unknown> = { part: null };
    await waitFor(
      async () => {
        const path = await partFile();
        if (path === undefined) return false;
        const bytes = await stat(path).then(
          (st) => st.size,
          () => -1,
        );
        written = await ffprobe(path).then(
          (p) => {
            seen = { part: path, bytes, videoStreams: p.video.length, audioStreams: p.audio.length };
            return p.video.length > 0 ? p.durationS : 0;
          },
          (err: unknown) => {
            seen = {
              part: path,
              bytes,
              ffprobe: err instanceof Error ? err.message.slice(0, 300) : String(err),
            };
            return 0;
          },
        );
        return written * 1000 >= o.forMs;
      },
      {
        timeoutMs: 60_000 + o.forMs,
        intervalMs: 250,
        what: 'the recorder child to write its media',
        detail: () => ({ writtenS: written, ...seen, childOutput: out.slice(-500) }),
      },
    );
  } finally {
    child.kill('SIGKILL');
  }
  await exited;
}
