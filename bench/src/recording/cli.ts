// Recording figure: how many composite recordings one core sustains at 720p, the CPU each takes, and the
// delay between stop and a playable file. Each recording is the recorder's own FFmpeg command line
// (compositeArgs: two VP8 cameras decoded, scaled, laid out with names, H.264 + AAC encoded, Opus mixed)
// fed plain RTP on its ports, as the SFU feeds it. The RTP comes from FFmpeg senders that copy a clip
// encoded once (no encoding cost on the sender side), pinned to core 0; the recorders are pinned to core 1.
// A recording keeps up when FFmpeg's own speed stays at 1x or more; the count rises until one falls behind.
//   npm run bench:recording -- [--max 8] [--seconds 20] [--preset veryfast] [--width 1280] [--height 720]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildSdp,
  compositeArgs,
  concatArgs,
  concatList,
  DEFAULT_COMPOSITE,
  FONT_CANDIDATES,
  reserveRtpPorts,
  type CompositeOptions,
  type RtpStreamDescription,
} from '@origo/recording';
import { machineInfo } from '../machine.js';
import { hasTaskset } from '../media/sfuProcess.js';
import { round, table } from '../stats.js';

const { values: args } = parseArgs({
  options: {
    max: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
    preset: { type: 'string', default: DEFAULT_COMPOSITE.preset },
    width: { type: 'string', default: String(DEFAULT_COMPOSITE.width) },
    height: { type: 'string', default: String(DEFAULT_COMPOSITE.height) },
    out: { type: 'string' },
  },
});
const MAX = Number(args.max);
const SECONDS = Number(args.seconds);
const WARMUP_S = 4;
const CLK_TCK = 100;
const pinned = hasTaskset();
const on = (core: number, cmd: string, argv: string[]): [string, string[]] =>
  pinned ? ['taskset', ['-c', String(core), cmd, ...argv]] : [cmd, argv];

const dir = mkdtempSync(join(tmpdir(), 'origo-bench-rec-'));
const composite: CompositeOptions = {
  ...DEFAULT_COMPOSITE,
  preset: args.preset,
  width: Number(args.width),
  height: Number(args.height),
  fontFile: FONT_CANDIDATES.find((f) => existsSync(f)),
};

/** A 10 s clip as a camera sends it: 640x360 VP8 at 15 fps (about 600 kbit/s) and Opus, encoded once. */
function makeClip(): string {
  const clip = join(dir, 'camera.webm');
  const r = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=s=640x360:r=15:d=10',
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:r=48000:d=10',
    '-c:v',
    'libvpx',
    '-b:v',
    '600k',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-g',
    '30',
    '-c:a',
    'libopus',
    '-b:a',
    '32k',
    '-ac',
    '2',
    clip,
  ]);
  if (r.status !== 0) throw new Error(`could not make the clip: ${r.stderr.toString()}`);
  return clip;
}

interface Running {
  senders: ChildProcess[];
  recorder: ChildProcess;
  progress: string;
  out: string;
}

async function startRecording(i: number, clip: string): Promise<Running> {
  const ports = await reserveRtpPorts('127.0.0.1', 4);
  const streams: RtpStreamDescription[] = ports.map((port, k) => {
    const video = k % 2 === 0;
    return {
      trackId: `TR_${i}_${k}`,
      participantId: `p${k >> 1}`,
      kind: video ? 'video' : 'audio',
      source: video ? 'camera' : 'microphone',
      mimeType: video ? 'video/VP8' : 'audio/opus',
      clockRate: video ? 90000 : 48000,
      channels: video ? 0 : 2,
      payloadType: video ? 96 : 111,
      port,
    };
  });
  const sdp = join(dir, `r${i}.sdp`);
  writeFileSync(sdp, buildSdp('127.0.0.1', streams));
  const names = streams
    .filter((s) => s.kind === 'video')
    .map((s, k) => {
      const file = join(dir, `r${i}-name-${k}.txt`);
      writeFileSync(file, `Person ${k + 1}`);
      return { source: s.source, nameFile: file };
    });
  const out = join(dir, `r${i}.mp4`);
  const progress = join(dir, `r${i}.progress`);
  const recorder = spawn(...on(1, 'ffmpeg', compositeArgs(sdp, out, progress, names, 2, composite)), {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  // Give FFmpeg a moment to bind its ports before the RTP starts (it waits for a keyframe anyway).
  await new Promise((r) => setTimeout(r, 300));
  const senders = streams.map((s) =>
    spawn(
      ...on(0, 'ffmpeg', [
        '-v',
        'error',
        '-re',
        '-stream_loop',
        '-1',
        '-i',
        clip,
        '-map',
        s.kind === 'video' ? '0:v' : '0:a',
        '-c',
        'copy',
        '-payload_type',
        String(s.payloadType),
        '-f',
        'rtp',
        `rtp://127.0.0.1:${s.port}`,
      ]),
      { stdio: 'ignore' },
    ),
  );
  return { senders, recorder, progress, out };
}

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

// Under taskset the child is taskset exec'ing FFmpeg: the pid is FFmpeg's.
const outTimeS = (progress: string): number => {
  const text = existsSync(progress) ? readFileSync(progress, 'utf8') : '';
  const all = [...text.matchAll(/out_time_us=(\d+)/g)];
  return Number(all.at(-1)?.[1] ?? 0) / 1e6;
};

interface Round {
  recordings: number;
  cpuPerRecordingPercent: number;
  coreBusyPercent: number;
  minRealtime: number;
  keptUp: boolean;
  stopToPlayableMs: number;
}

async function runRound(n: number, clip: string): Promise<Round> {
  const runs: Running[] = [];
  for (let i = 0; i < n; i++) runs.push(await startRecording(i, clip));
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const cpu0 = runs.map((r) => cpuSeconds(r.recorder.pid));
  const out0 = runs.map((r) => outTimeS(r.progress));
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = runs.map((r, i) => cpuSeconds(r.recorder.pid) - cpu0[i]!);
  // How much media each wrote per second of wall time over the window: 1 keeps up, less falls behind.
  const realtime = runs.map((r, i) => (outTimeS(r.progress) - out0[i]!) / wall);

  // Stop: SIGINT as the recorder does, then the join it makes of the parts; timed for the first recording.
  const stopStart = performance.now();
  const first = runs[0]!;
  const exited = new Promise((r) => first.recorder.once('exit', r));
  first.recorder.kill('SIGINT');
  await exited;
  const list = join(dir, 'r0.parts.txt');
  writeFileSync(list, concatList([{ path: first.out }]));
  const joined = spawnSync('ffmpeg', concatArgs(list, join(dir, 'r0.final.mp4')));
  const stopToPlayableMs = performance.now() - stopStart;
  if (joined.status !== 0) throw new Error(`the join failed: ${joined.stderr.toString()}`);

  for (const r of runs) {
    for (const s of r.senders) s.kill('SIGKILL');
    r.recorder.kill('SIGKILL');
  }
  await new Promise((r) => setTimeout(r, 500));
  const minRealtime = Math.min(...realtime);
  return {
    recordings: n,
    cpuPerRecordingPercent: round((cpu.reduce((a, b) => a + b, 0) / n / wall) * 100, 1),
    coreBusyPercent: round((cpu.reduce((a, b) => a + b, 0) / wall) * 100, 1),
    minRealtime: round(minRealtime, 3),
    // Progress is reported every half second, so over a 20 s window the ratio is good to about 2.5 %.
    keptUp: minRealtime >= 0.95,
    stopToPlayableMs: Math.round(stopToPlayableMs),
  };
}

try {
  if (!pinned)
    console.warn('taskset not found: the recordings are not pinned to one core (figures per machine)');
  const clip = makeClip();
  const rounds: Round[] = [];
  for (let n = 1; n <= MAX; n++) {
    const r = await runRound(n, clip);
    rounds.push(r);
    console.log(
      `${n} recording(s): ${r.cpuPerRecordingPercent} % of a core each, core ${r.coreBusyPercent} % busy, ` +
        `slowest at ${r.minRealtime}x real time${r.keptUp ? '' : ' (fell behind)'}, stop to playable ${r.stopToPlayableMs} ms`,
    );
    if (!r.keptUp) break;
  }
  const sustained = rounds.filter((r) => r.keptUp).at(-1)?.recordings ?? 0;
  console.log('');
  console.log(
    table([
      ['recordings', 'CPU each %', 'core busy %', 'slowest x realtime', 'kept up', 'stop to playable ms'],
      ...rounds.map((r) => [
        String(r.recordings),
        String(r.cpuPerRecordingPercent),
        String(r.coreBusyPercent),
        String(r.minRealtime),
        r.keptUp ? 'yes' : 'no',
        String(r.stopToPlayableMs),
      ]),
    ]),
  );
  console.log(
    `\nOne core sustains ${sustained} composite recording(s) at ${composite.width}x${composite.height} ` +
      `${composite.fps} fps (preset ${composite.preset}, two cameras each).`,
  );
  if (args.out !== undefined)
    writeFileSync(
      args.out,
      JSON.stringify({ machine: machineInfo(), composite, seconds: SECONDS, sustained, rounds }, null, 2),
    );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
