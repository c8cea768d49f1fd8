// FFmpeg as the recorder's compositor: the SDP that describes the SFU's plain-RTP streams (RFC 4566, one
// m-line per stream on its own port), the filter graph that lays the cameras out in a grid and mixes the
// audio, and the encoder settings (H.264 + AAC in fragmented MP4, so a crash loses at most the last fragment).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** One RTP stream the SFU sends to the recorder, as the SFU described it. */
export interface RtpStreamDescription {
  trackId: string;
  participantId: string;
  kind: 'audio' | 'video';
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
}

export const DEFAULT_COMPOSITE: CompositeOptions = {
  width: 1280,
  height: 720,
  fps: 15,
  preset: 'veryfast',
  videoBitrateKbps: 1500,
  audioBitrateKbps: 128,
};

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

/**
 * The filter graph: every video scaled into its tile (aspect kept, padded) and stacked in a grid on a fixed
 * canvas; every audio mixed. Returns the graph and the output labels, or null labels for absent kinds.
 */
export function compositeFilter(
  videoCount: number,
  audioCount: number,
  o: CompositeOptions,
): { graph: string; video: string | null; audio: string | null } {
  const parts: string[] = [];
  let video: string | null = null;
  if (videoCount > 0) {
    const { cols, rows } = gridOf(videoCount);
    const w = even(o.width / cols);
    const h = even(o.height / rows);
    for (let i = 0; i < videoCount; i++) {
      parts.push(
        `[0:v:${i}]scale=${w}:${h}:force_original_aspect_ratio=decrease,` +
          `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${o.fps}[v${i}]`,
      );
    }
    const tiles = Array.from({ length: videoCount }, (_, i) => `[v${i}]`).join('');
    if (videoCount === 1) parts.push(`${tiles}null[grid]`);
    else {
      const layout = Array.from(
        { length: videoCount },
        (_, i) => `${(i % cols) * w}_${Math.floor(i / cols) * h}`,
      );
      parts.push(`${tiles}xstack=inputs=${videoCount}:layout=${layout.join('|')}:fill=black[grid]`);
    }
    parts.push(`[grid]pad=${even(o.width)}:${even(o.height)}:(ow-iw)/2:(oh-ih)/2:black,format=yuv420p[vout]`);
    video = '[vout]';
  }
  let audio: string | null = null;
  if (audioCount > 0) {
    const inputs = Array.from({ length: audioCount }, (_, i) => `[0:a:${i}]`).join('');
    parts.push(
      audioCount === 1
        ? `${inputs}aresample=async=1000[aout]`
        : `${inputs}amix=inputs=${audioCount}:duration=longest:normalize=0,aresample=async=1000[aout]`,
    );
    audio = '[aout]';
  }
  return { graph: parts.join(';'), video, audio };
}

/** The FFmpeg command line that reads `sdpPath` and writes a fragmented MP4 to `outPath`. */
export function compositeArgs(
  sdpPath: string,
  outPath: string,
  streams: readonly RtpStreamDescription[],
  o: CompositeOptions = DEFAULT_COMPOSITE,
): string[] {
  const videoCount = streams.filter((s) => s.kind === 'video').length;
  const audioCount = streams.filter((s) => s.kind === 'audio').length;
  const filter = compositeFilter(videoCount, audioCount, o);
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'warning',
    '-protocol_whitelist',
    'file,udp,rtp',
    // Arrival order is not send order on a busy host; hold packets a little to put them back in order.
    '-reorder_queue_size',
    '500',
    '-max_delay',
    '500000',
    '-analyzeduration',
    '5000000',
    '-fflags',
    '+genpts',
    '-i',
    sdpPath,
  ];
  if (filter.graph.length > 0) args.push('-filter_complex', filter.graph);
  if (filter.video !== null) {
    args.push(
      '-map',
      filter.video,
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
    );
  }
  if (filter.audio !== null)
    args.push('-map', filter.audio, '-c:a', 'aac', '-b:a', `${o.audioBitrateKbps}k`, '-ar', '48000');
  args.push('-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', '-y', outPath);
  return args;
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
