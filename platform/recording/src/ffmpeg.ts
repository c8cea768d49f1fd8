// FFmpeg as the recorder's compositor: the SDP that describes the SFU's plain-RTP streams (RFC 4566, one
// m-line per stream on its own port), the filter graph that lays the videos out (a grid of cameras, or a
// screen share on the stage) with names under them and mixes the audio, the encoder settings (H.264 + AAC
// in fragmented MP4, so a crash loses at most the last fragment), and the join of a recording's parts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export type TrackSourceName = 'camera' | 'microphone' | 'screen' | 'screen_audio' | 'unknown';

/** One RTP stream the SFU sends to the recorder, as the SFU described it. */
export interface RtpStreamDescription {
  trackId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: TrackSourceName;
  /** e.g. "video/VP8", "audio/opus". */
  mimeType: string;
  clockRate: number;
  channels: number;
  payloadType: number;
  port: number;
}

export interface CompositeOptions {
  width: number;
  height: number;
  fps: number;
  /** libx264 preset; faster presets cost less CPU per recording. */
  preset: string;
  videoBitrateKbps: number;
  audioBitrateKbps: number;
  /** A TrueType font for the names under the tiles; none: no names. */
  fontFile?: string | undefined;
}

export const DEFAULT_COMPOSITE: CompositeOptions = {
  width: 1280,
  height: 720,
  fps: 15,
  preset: 'veryfast',
  videoBitrateKbps: 1500,
  audioBitrateKbps: 128,
};

/** Fonts tried for the names when none is configured (Debian's fonts-dejavu-core, then Liberation). */
export const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
];

/** The SDP FFmpeg reads to receive the streams on `host`. */
export function buildSdp(host: string, streams: readonly RtpStreamDescription[]): string {
  const family = host.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- 0 0 IN ${family} ${host}`,
    's=Origo recording',
    `c=IN ${family} ${host}`,
    't=0 0',
  ];
  for (const s of streams) {
    const [, codec = ''] = s.mimeType.split('/');
    lines.push(`m=${s.kind} ${s.port} RTP/AVP ${s.payloadType}`);
    const channels = s.kind === 'audio' && s.channels > 0 ? `/${s.channels}` : '';
    lines.push(`a=rtpmap:${s.payloadType} ${codec}/${s.clockRate}${channels}`);
    lines.push('a=recvonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Columns and rows of the smallest near-square grid that holds `n` tiles. */
export function gridOf(n: number): { cols: number; rows: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  return { cols, rows: Math.max(1, Math.ceil(n / cols)) };
}

const even = (n: number): number => Math.max(2, Math.floor(n / 2) * 2);
/** An even offset, 0 allowed (chroma planes want even positions). */
const evenOffset = (n: number): number => Math.max(0, Math.floor(n / 2) * 2);

/** Where one video goes on the canvas. */
export interface Tile {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Tiles for the videos in order: a near-square grid of equal tiles; with a screen share, the first share
 * takes the stage (three quarters of the width) and the other videos stack in a column beside it.
 */
export function layoutTiles(sources: readonly TrackSourceName[], width: number, height: number): Tile[] {
  const n = sources.length;
  if (n === 0) return [];
  const stage = sources.indexOf('screen');
  if (stage >= 0 && n > 1) {
    const stageW = even((width * 3) / 4);
    const colW = even(width - stageW);
    const others = n - 1;
    const h = even(Math.min(height / others, (colW * 9) / 16));
    const top = evenOffset((height - h * others) / 2);
    let row = 0;
    return sources.map((_, i) =>
      i === stage
        ? { x: 0, y: 0, w: stageW, h: even(height) }
        : { x: stageW, y: top + h * row++, w: colW, h },
    );
  }
  const { cols, rows } = gridOf(n);
  const w = even(width / cols);
  const h = even(height / rows);
  // The grid is centred: the last row's tiles too, when it is not full.
  const offsetY = evenOffset((height - rows * h) / 2);
  return sources.map((_, i) => {
    const row = Math.floor(i / cols);
    const inRow = row === rows - 1 ? n - cols * (rows - 1) : cols;
    const offsetX = evenOffset((width - inRow * w) / 2);
    return { x: offsetX + (i % cols) * w, y: offsetY + row * h, w, h };
  });
}

/** A path FFmpeg's filter syntax takes without quoting (refused otherwise, rather than escaped wrongly). */
export function filterSafePath(path: string): boolean {
  return /^[A-Za-z0-9_./-]+$/.test(path);
}

/** One video of the composite: its source decides the layout, `nameFile` holds the name shown under it. */
export interface CompositeVideo {
  source: TrackSourceName;
  /** A file with the participant's name, drawn at the bottom of the tile (needs a font). */
  nameFile?: string | undefined;
}

/**
 * The filter graph: every video scaled into its tile (aspect kept, letterboxed) with its name under it, on
 * a black canvas of fixed size; every audio mixed. With no video the canvas is black (input `[1:v]`), with
 * no audio the sound is silence (`[1:a]` or `[2:a]`): every part of a recording has the same streams, so the
 * parts join into one file. `standIns` lists the lavfi inputs the command line must add after the SDP.
 */
export function compositeFilter(
  videos: readonly CompositeVideo[],
  audioCount: number,
  o: CompositeOptions,
): { graph: string; standIns: string[] } {
  const W = even(o.width);
  const H = even(o.height);
  const parts: string[] = [];
  const standIns: string[] = [];
  if (videos.length === 0) {
    standIns.push(`color=c=black:s=${W}x${H}:r=${o.fps}`);
    parts.push(`[${standIns.length}:v]format=yuv420p[vout]`);
  } else {
    const tiles = layoutTiles(
      videos.map((v) => v.source),
      W,
      H,
    );
    videos.forEach((v, i) => {
      const t = tiles[i]!;
      // Readable on a small tile, not shouting on the stage.
      const fontSize = Math.max(12, Math.round(Math.min(H / 30, t.h / 12)));
      const label =
        o.fontFile !== undefined && v.nameFile !== undefined
          ? `,drawtext=fontfile=${o.fontFile}:textfile=${v.nameFile}:fontcolor=white:fontsize=${fontSize}` +
            `:box=1:boxcolor=black@0.55:boxborderw=${Math.round(fontSize / 3)}:x=${Math.round(fontSize / 2)}` +
            `:y=h-th-${fontSize}:expansion=none`
          : '';
      // The name sits on the bottom of the picture itself (before the letterbox), as meeting views show it.
      parts.push(
        `[0:v:${i}]scale=${t.w}:${t.h}:force_original_aspect_ratio=decrease${label},` +
          `pad=${t.w}:${t.h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${o.fps}[v${i}]`,
      );
    });
    const inputs = videos.map((_, i) => `[v${i}]`).join('');
    const layout = tiles.map((t) => `${t.x}_${t.y}`).join('|');
    if (videos.length === 1) {
      const t = tiles[0]!;
      parts.push(`${inputs}pad=${W}:${H}:${t.x}:${t.y}:black,format=yuv420p,fps=${o.fps}[vout]`);
    } else {
      parts.push(
        `${inputs}xstack=inputs=${videos.length}:layout=${layout}:fill=black,` +
          `pad=${W}:${H}:0:0:black,format=yuv420p,fps=${o.fps}[vout]`,
      );
    }
  }
  if (audioCount === 0) {
    standIns.push('anullsrc=r=48000:cl=stereo');
    parts.push(`[${standIns.length}:a]anull[aout]`);
  } else {
    const inputs = Array.from({ length: audioCount }, (_, i) => `[0:a:${i}]`).join('');
    parts.push(
      audioCount === 1
        ? `${inputs}aresample=async=1000[aout]`
        : `${inputs}amix=inputs=${audioCount}:duration=longest:normalize=0,aresample=async=1000[aout]`,
    );
  }
  return { graph: parts.join(';'), standIns };
}

/**
 * How every recorder FFmpeg reads the SFU's RTP: the SDP of the streams, progress to a file (the recorder
 * reads where the output has got), messages at warning level.
 */
function rtpInputArgs(sdpPath: string, progressPath: string): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'warning',
    '-progress',
    `file:${progressPath}`,
    '-stats_period',
    '0.5',
    '-protocol_whitelist',
    'file,udp,rtp',
    // Arrival order is not send order on a busy host; hold packets a little to put them back in order.
    '-reorder_queue_size',
    '500',
    // A deep socket queue (the system's maximum caps it): an FFmpeg behind real time finds its media there.
    '-buffer_size',
    String(4 * 1024 * 1024),
    '-max_delay',
    '500000',
    '-analyzeduration',
    '5000000',
    '-fflags',
    '+genpts',
    '-i',
    sdpPath,
  ];
}

/**
 * The FFmpeg command line that reads `sdpPath` and writes a fragmented MP4 to `outPath` (fragments of at
 * most a second, so a crash loses at most that), reporting progress to `progressPath`. Files, not pipes:
 * an FFmpeg whose recorder died must go on writing (a pipe would kill it) until the recorder is back.
 */
export function compositeArgs(
  sdpPath: string,
  outPath: string,
  progressPath: string,
  videos: readonly CompositeVideo[],
  audioCount: number,
  o: CompositeOptions = DEFAULT_COMPOSITE,
): string[] {
  const filter = compositeFilter(videos, audioCount, o);
  const args = rtpInputArgs(sdpPath, progressPath);
  for (const source of filter.standIns) args.push('-f', 'lavfi', '-i', source);
  args.push(
    '-filter_complex',
    filter.graph,
    '-map',
    '[vout]',
    '-c:v',
    'libx264',
    '-preset',
    o.preset,
    '-tune',
    'zerolatency',
    '-b:v',
    `${o.videoBitrateKbps}k`,
    '-g',
    String(o.fps * 2),
    '-r',
    String(o.fps),
    // The picture begins where its first frame is, not padded back to 0 with copies of it: the join cuts a
    // part from its first real picture, and the sound stays with it.
    '-fps_mode',
    'passthrough',
    '-map',
    '[aout]',
    '-c:a',
    'aac',
    '-b:a',
    `${o.audioBitrateKbps}k`,
    '-ar',
    '48000',
    '-ac',
    '2',
    '-movflags',
    // delay_moov: the header waits for the first fragment, so it records where each stream starts (the
    // picture after the sound) instead of moving the picture to 0.
    '+frag_keyframe+empty_moov+default_base_moof+delay_moov',
    '-frag_duration',
    '1000000',
    // Each fragment reaches the disk when it is made, not when a 32 KiB buffer fills: what a crash keeps.
    '-flush_packets',
    '1',
    '-f',
    'mp4',
    '-y',
    outPath,
  );
  return args;
}

/** The file a track is copied into: WebM for the codecs WebM holds (VP8, VP9, AV1, Opus), else Matroska. */
export function trackFileName(n: number, index: number, s: RtpStreamDescription): string {
  const codec = (s.mimeType.split('/')[1] ?? '').toLowerCase();
  const ext = ['vp8', 'vp9', 'av1', 'opus'].includes(codec) ? 'webm' : 'mkv';
  const safe = (v: string) => v.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  return `part-${n}-${String(index).padStart(2, '0')}-${s.kind}-${safe(s.participantId)}-${safe(s.trackId)}.${ext}`;
}

/**
 * The per-track command line: every stream copied as it arrives (no decoding or encoding) into its own
 * file in `dir`, for post-production. Returns the arguments and the file of each stream, in SDP order.
 */
export function trackArgs(
  sdpPath: string,
  dir: string,
  progressPath: string,
  n: number,
  streams: readonly RtpStreamDescription[],
): { args: string[]; files: string[] } {
  const args = rtpInputArgs(sdpPath, progressPath);
  const files: string[] = [];
  const seen = { audio: 0, video: 0 };
  streams.forEach((s, i) => {
    const k = seen[s.kind]++;
    const file = trackFileName(n, i, s);
    files.push(file);
    args.push('-map', `0:${s.kind === 'video' ? 'v' : 'a'}:${k}`, '-c', 'copy', '-flush_packets', '1');
    args.push('-f', file.endsWith('.webm') ? 'webm' : 'matroska', '-y', `${dir}/${file}`);
  });
  return { args, files };
}

/**
 * The command line that joins the parts of a recording into one MP4 without re-encoding (every part has
 * the same canvas, codecs and settings). `listPath` is an FFmpeg concat list (see concatList).
 */
export function concatArgs(listPath: string, outPath: string): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'concat',
    '-safe',
    '0',
    '-i',
    listPath,
    '-c',
    'copy',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    outPath,
  ];
}

/** The HLS files of a recording (fMP4 segments of about 6 s), cut from the joined MP4 without re-encoding. */
export function hlsArgs(mp4Path: string, hlsDir: string): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-i',
    mp4Path,
    '-c',
    'copy',
    '-f',
    'hls',
    '-hls_time',
    '6',
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    `${hlsDir}/seg-%05d.m4s`,
    '-y',
    `${hlsDir}/index.m3u8`,
  ];
}

/**
 * The command line that copies the media of `inPath` from `fromS` (its first picture: a keyframe) to `toS`
 * (seconds of its own time; none: to the end) into `outPath`, without re-encoding. Each stream is cut on its
 * own timestamps, so the sound and the picture of a part end together.
 */
export function trimArgs(inPath: string, outPath: string, fromS: number, toS?: number): string[] {
  // A millisecond early, so rounding never drops the keyframe the part begins with.
  const from = Math.max(0, fromS - 0.001);
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-i',
    inPath,
    '-map',
    '0',
    '-c',
    'copy',
    '-ss',
    from.toFixed(3),
    ...(toS !== undefined ? ['-t', Math.max(0.001, toS - from).toFixed(3)] : []),
    '-f',
    'mp4',
    '-y',
    outPath,
  ];
}

/** The concat list: each part, cut where the next one begins (`outpointS`) so the overlap is not repeated. */
export function concatList(parts: readonly { path: string; outpointS?: number | undefined }[]): string {
  const lines = ['ffconcat version 1.0'];
  for (const p of parts) {
    lines.push(`file '${p.path.replaceAll("'", "'\\''")}'`);
    if (p.outpointS !== undefined && p.outpointS > 0) lines.push(`outpoint ${p.outpointS.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

const run = promisify(execFile);

/** The FFmpeg version line, or an error naming what to install. */
export async function checkFfmpeg(binary = 'ffmpeg'): Promise<string> {
  try {
    const { stdout } = await run(binary, ['-hide_banner', '-version'], { timeout: 10_000 });
    return stdout.split('\n')[0] ?? 'ffmpeg';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `FFmpeg not found (${binary}): install it (Debian: apt-get install ffmpeg) or set RECORDING_FFMPEG`
        : `FFmpeg (${binary}) does not run: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
