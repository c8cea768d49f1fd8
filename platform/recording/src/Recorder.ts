// One recording in progress: the SFU forwards the room's tracks as plain RTP to ports on this host, FFmpeg
// reads them through an SDP file and writes the composite, and on stop the file goes to storage.
//
// A recording is written in parts. The SFU forwards the tracks live when a part starts, to this process's
// relay (relay.ts), which hands them to FFmpeg once it listens and notes the wall time of each part's media
// time 0. The recorder watches the room's tracks and, when they change (someone joins, leaves or shares a
// screen), starts the next part with the new layout beside the running one; once the new part has a
// picture the old one stops being fed, works through what it holds, and ends. At the end each part is cut,
// on media time, where the next one's picture begins, and the parts are joined without re-encoding. Each
// part is a fragmented MP4 (fragments of at most a second), and `meta.json` in the recording's folder says
// when each part's media begins, so a recording whose recorder died is finished from what is on disk
// (finalizeInterrupted).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildSdp,
  compositeArgs,
  trimArgs,
  concatArgs,
  concatList,
  DEFAULT_COMPOSITE,
  hlsArgs,
  filterSafePath,
  trackArgs,
  type CompositeOptions,
  type RtpStreamDescription,
} from './ffmpeg.js';
import type { RoomTrackDescription, RtpForwarder } from './forwarder.js';
import { reserveRtpPorts } from './ports.js';
import { portsBound, queuedBytes, RtpRelay } from './relay.js';
import type { RecordingStorage, StoredObject } from './storage.js';

export type RecordingLayout = 'composite' | 'tracks';

/** Display names of a room's participants by participant id (the SFU's participant id is signaling's sid). */
export type NameLookup = (roomId: string) => Promise<Map<string, string>>;

export interface RecorderOptions {
  recordingId: string;
  roomId: string;
  /** Storage key of the finished file. */
  key: string;
  forwarder: RtpForwarder;
  storage: RecordingStorage;
  /** Folder for recordings being written; this one writes in `<workDir>/<recordingId>`. */
  workDir: string;
  /** Address the SFU sends to: this host as the SFU reaches it (loopback on one machine, the pod IP). */
  rtpHost: string;
  /** Address FFmpeg binds; default rtpHost. */
  bindHost?: string;
  ffmpeg?: string;
  composite?: Partial<CompositeOptions>;
  /** Most tracks recorded in one layout. Default 16. */
  maxStreams?: number;
  /** Names under the tiles (and in a per-track recording's manifest); none: no names. */
  names?: NameLookup;
  /** `composite` (default): one MP4 of the layout. `tracks`: each track copied into its own WebM file. */
  layout?: RecordingLayout;
  /** How often the room's tracks are read to follow joins and leaves. Default 1000 ms. */
  layoutPollMs?: number;
  /** Called once if FFmpeg exits before stop() (its last lines of stderr). */
  onFailure?: (reason: string) => void;
  /**
   * Longest wait at the end of a part for FFmpeg to work through the media it was sent before it is told to
   * finish (a loaded machine leaves it behind real time). Default 20 s, within Kubernetes' grace period.
   */
  drainTimeoutMs?: number;
}

/** A finished recording in storage: the file, and for a composite its HLS files beside it. */
export interface StoredRecording extends StoredObject {
  /** Names of the HLS files (playlist, init segment, media segments) under `hlsPrefix(key)`. */
  hls?: string[];
  /** The file's own length (its longest stream), as a player shows it. */
  mediaDurationMs?: number;
  /** How much earlier the picture ends than the sound, when over half a second (it should not happen). */
  videoShortByMs?: number;
}

/** Where a recording's HLS files are stored: `<meeting>/<recording>.mp4` -> `<meeting>/<recording>/hls/`. */
export const hlsPrefix = (key: string): string => `${key.replace(/\.[a-z0-9]+$/, '')}/hls/`;

export interface RecordingResult extends StoredRecording {
  durationMs: number;
  /** Every track that was in the recording at some point. */
  streams: RtpStreamDescription[];
  parts: number;
}

/** What `meta.json` records of one part. Times are wall-clock ms. */
interface PartMeta {
  n: number;
  forwardId: string;
  file: string;
  startedAt: number;
  /** The wall time of the part's media time 0: when its first packet reached the relay (see relay.ts). */
  originAt?: number;
  /** Written by recorders before the relay: their estimate of the part's time 0 from FFmpeg's progress. */
  firstFrameAt?: number;
  /** When the relay stopped feeding the part. */
  endedAt?: number;
  /** Where the next part's media begins (its originAt): per-track manifests report it. */
  cutAt?: number;
  pid?: number;
  /** Per-track recordings: the file of each track. */
  tracks?: {
    file: string;
    /** Wall time of the file's time 0 (the track's first packet). */
    originAt?: number;
    trackId: string;
    participantId: string;
    name?: string;
    kind: string;
    source: string;
  }[];
}

interface RecordingMeta {
  layout?: RecordingLayout;
  recordingId: string;
  roomId: string;
  key: string;
  startedAt: number;
  parts: PartMeta[];
}

interface Part {
  meta: PartMeta;
  relay: RtpRelay;
  /** The loopback ports FFmpeg reads, one per stream. */
  ffmpegPorts: number[];
  streams: RtpStreamDescription[];
  signature: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** FFmpeg's messages. */
  logPath: string;
  stopping: boolean;
  /** FFmpeg has encoded the part's first picture. */
  sawPicture: boolean;
  timers: NodeJS.Timeout[];
  firstFrame: Promise<void>;
}

const SECOND_SIGNAL_MS = 2000;
/** How long FFmpeg gets to finish by itself after its input ended (RTCP BYE) before it is told to (SIGINT). */
const BYE_EXIT_MS = 10_000;
const STOP_GRACE_MS = 15_000;
/** Keyframe requests once FFmpeg listens (the relay starts feeding it then): at once and again. */
const KEYFRAME_RETRIES_MS = [0, 700, 2000];
/** Then, while FFmpeg has encoded no picture yet, how often to ask again. */
const KEYFRAME_AGAIN_MS = 1500;
/** How long after a new part has a picture the old part keeps being fed (the overlap that is cut away). */
const SETTLE_MS = 1000;
/** Longest wait for a new part's first picture before the old part is stopped anyway. */
const FIRST_FRAME_WAIT_MS = 30_000;
/** Longest wait for FFmpeg to bind its ports before the relay feeds it anyway. */
const LISTEN_WAIT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 20_000;
/**
 * How long FFmpeg is fed past the end of a recording. What it holds in its filters when told to finish is
 * lost (a few pictures, not the sound), so it gets more than it needs and the last part is cut at the end.
 */
const END_MARGIN_MS = 1000;
/** FFmpeg reads the relay on loopback. */
const FFMPEG_HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** The set of tracks a layout is made of (muting does not change the layout). */
const signatureOf = (tracks: readonly { trackId: string }[]): string =>
  tracks
    .map((t) => t.trackId)
    .sort()
    .join(',');

/** Control characters would break the drawn line; 40 characters fit under a tile. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;
const cleanName = (name: string): string =>
  name.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, 40) || 'Guest';

export class Recorder {
  private readonly dir: string;
  private readonly parts: Part[] = [];
  private current: Part | null = null;
  private meta: RecordingMeta;
  private poller: NodeJS.Timeout | null = null;
  /** Layout changes run one after the other; stop() waits for the one in flight. */
  private changing: Promise<void> = Promise.resolve();
  private pendingSignature: string | null = null;
  private stopped = false;
  private failed = false;
  private readonly seen = new Map<string, RtpStreamDescription>();
  private readonly composite: CompositeOptions;

  constructor(private readonly o: RecorderOptions) {
    this.dir = join(o.workDir, o.recordingId);
    this.meta = {
      layout: o.layout ?? 'composite',
      recordingId: o.recordingId,
      roomId: o.roomId,
      key: o.key,
      startedAt: 0,
      parts: [],
    };
    this.composite = { ...DEFAULT_COMPOSITE, ...o.composite };
  }

  /** When the recording's media begins (the wall time of the first part's media time 0), once known. */
  get mediaStartedAt(): number | undefined {
    for (const part of this.parts) {
      const origin = part.relay.originAt;
      if (origin !== undefined) return origin;
    }
    return undefined;
  }

  /** Every track recorded so far. */
  get streams(): RtpStreamDescription[] {
    return [...this.seen.values()];
  }

  /** Starts the first part; resolves once FFmpeg runs. Throws when the room has nothing to record. */
  async start(): Promise<RtpStreamDescription[]> {
    await mkdir(this.dir, { recursive: true });
    this.meta.startedAt = Date.now();
    let part: Part | null;
    try {
      const tracks = await this.o.forwarder.tracks(this.o.roomId);
      part = tracks.length === 0 ? null : await this.startPart(tracks);
    } catch (err) {
      await rm(this.dir, { recursive: true, force: true });
      throw err;
    }
    if (part === null) {
      await rm(this.dir, { recursive: true, force: true });
      throw new NothingToRecordError();
    }
    this.current = part;
    const poll = this.o.layoutPollMs ?? 1000;
    this.poller = setInterval(() => this.checkLayout(), poll);
    this.poller.unref();
    return part.streams;
  }

  /** Reads the room's tracks; a change seen twice in a row (tracks arrive a moment apart) starts a part. */
  private checkLayout(): void {
    if (this.stopped || this.failed) return;
    this.o.forwarder.tracks(this.o.roomId).then(
      (tracks) => {
        const signature = signatureOf(tracks.slice(0, this.o.maxStreams ?? 16));
        if (signature === (this.current?.signature ?? '')) {
          this.pendingSignature = null;
          return;
        }
        if (this.pendingSignature !== signature) {
          this.pendingSignature = signature;
          return;
        }
        this.pendingSignature = null;
        this.changing = this.changing.then(() => this.relayout(tracks));
      },
      // The room's worker is unreachable or the room closed: keep the running part; stop() ends it.
      () => undefined,
    );
  }

  private async relayout(tracks: RoomTrackDescription[]): Promise<void> {
    if (this.stopped || this.failed) return;
    const old = this.current;
    let next: Part | null = null;
    if (tracks.length > 0) {
      try {
        next = await this.startPart(tracks);
      } catch {
        return; // the next poll tries again
      }
    }
    this.current = next;
    if (next !== null) {
      // The old part goes on until the new one has a picture (encoded, so its media has reached the relay
      // of both), and a little longer: the join cuts the old part on media time where the new one begins.
      await Promise.race([next.firstFrame, sleep(FIRST_FRAME_WAIT_MS)]);
      await sleep(SETTLE_MS);
    }
    if (old !== null) {
      const cut = next?.relay.originAt;
      if (cut !== undefined) old.meta.cutAt = cut;
      await this.stopPart(old);
    }
    await this.saveMeta();
  }

  private async startPart(tracks: RoomTrackDescription[]): Promise<Part | null> {
    const o = this.o;
    const n = this.meta.parts.length;
    const forwardId = `${o.recordingId}.${n}`;
    const bindHost = o.bindHost ?? o.rtpHost;
    const count = Math.min(tracks.length, o.maxStreams ?? 16);
    const relay = await RtpRelay.create(bindHost, FFMPEG_HOST, count);
    let sent: RtpStreamDescription[];
    let ffmpegPorts: number[];
    try {
      sent = await o.forwarder.start({ roomId: o.roomId, forwardId, host: o.rtpHost, ports: relay.ports });
      if (sent.length === 0) {
        relay.close();
        await o.forwarder.stop(o.roomId, forwardId).catch(() => undefined);
        return null;
      }
      // FFmpeg's own ports (an even port with the odd one beside it free, as it binds both).
      ffmpegPorts = await reserveRtpPorts(FFMPEG_HOST, sent.length);
      relay.route(sent.map((s, i) => ({ port: s.port, target: ffmpegPorts[i]!, clockRate: s.clockRate })));
    } catch (err) {
      relay.close();
      await o.forwarder.stop(o.roomId, forwardId).catch(() => undefined);
      throw err;
    }
    // The streams as FFmpeg reads them (its ports); the SFU's ports are the relay's.
    const streams = sent.map((s, i) => ({ ...s, port: ffmpegPorts[i]! }));
    const file = `part-${n}.mp4`;
    const sdpPath = join(this.dir, `part-${n}.sdp`);
    const progressPath = join(this.dir, `part-${n}.progress`);
    const logPath = join(this.dir, `part-${n}.log`);
    const meta: PartMeta = { n, forwardId, file, startedAt: Date.now() };
    let child: ChildProcess;
    try {
      await writeFile(sdpPath, buildSdp(FFMPEG_HOST, streams));
      let args: string[];
      if (this.meta.layout === 'tracks') {
        const names = (await o.names?.(o.roomId).catch(() => undefined)) ?? new Map<string, string>();
        const copy = trackArgs(sdpPath, this.dir, progressPath, n, streams);
        args = copy.args;
        meta.tracks = streams.map((s, i) => ({
          file: copy.files[i]!,
          trackId: s.trackId,
          participantId: s.participantId,
          ...(names.has(s.participantId) ? { name: cleanName(names.get(s.participantId)!) } : {}),
          kind: s.kind,
          source: s.source,
        }));
      } else {
        const videos = await this.videosOf(streams, n);
        const audioCount = streams.filter((s) => s.kind === 'audio').length;
        args = compositeArgs(sdpPath, join(this.dir, file), progressPath, videos, audioCount, this.composite);
      }
      // FFmpeg's messages go to a file: a pipe would end it with SIGPIPE if this process died first.
      const log = openSync(logPath, 'a');
      try {
        child = spawn(o.ffmpeg ?? 'ffmpeg', args, { stdio: ['ignore', 'ignore', log] });
      } finally {
        closeSync(log);
      }
    } catch (err) {
      relay.close();
      await o.forwarder.stop(o.roomId, forwardId).catch(() => undefined);
      throw err;
    }
    let sawFirstFrame!: () => void;
    const part: Part = {
      meta,
      relay,
      ffmpegPorts,
      streams,
      signature: signatureOf(streams),
      child,
      exited: Promise.resolve(null),
      logPath,
      stopping: false,
      sawPicture: false,
      timers: [],
      firstFrame: new Promise<void>((resolve) => (sawFirstFrame = resolve)),
    };
    if (child.pid !== undefined) meta.pid = child.pid;
    // `-progress` writes key=value blocks every half second; `frame` counts the pictures encoded. The first one
    // means the part's media flows through FFmpeg. Meanwhile the relay's origin of the part is kept on disk.
    const progress = setInterval(() => {
      this.noteOrigin(part);
      if (part.sawPicture) return;
      readTail(progressPath, 512).then(
        (text) => {
          const frames = Number([...text.matchAll(/^frame=(\d+)/gm)].at(-1)?.[1] ?? 0);
          const outUs = Number([...text.matchAll(/out_time_us=(\d+)/g)].at(-1)?.[1] ?? 0);
          // A per-track part encodes no pictures: its first output is enough.
          if (frames > 0 || (this.meta.layout === 'tracks' && outUs > 0)) {
            part.sawPicture = true;
            sawFirstFrame();
          }
        },
        () => undefined, // not written yet
      );
    }, 500);
    progress.unref();
    part.timers.push(progress);
    part.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        void writeFile(logPath, `\n${err.message}`, { flag: 'a' }).catch(() => undefined);
        resolve(null);
      });
      child.once('exit', (code) => resolve(code));
    });
    void part.exited.then(async (code) => {
      clearInterval(progress);
      sawFirstFrame();
      relay.close();
      if (part.stopping || this.stopped || this.failed) return;
      this.failed = true;
      o.onFailure?.(`ffmpeg exited with ${String(code)}: ${await logTail(logPath)}`);
    });
    void this.openWhenListening(part);
    for (const s of streams) if (!this.seen.has(s.trackId)) this.seen.set(s.trackId, s);
    this.parts.push(part);
    this.meta.parts.push(meta);
    await this.saveMeta();
    return part;
  }

  /** The videos of a part in the order of its SDP, each with a file holding the name drawn under it. */
  private async videosOf(streams: RtpStreamDescription[], n: number) {
    const videos = streams.filter((s) => s.kind === 'video');
    const fontFile = this.composite.fontFile;
    const withNames =
      this.o.names !== undefined &&
      fontFile !== undefined &&
      filterSafePath(fontFile) &&
      filterSafePath(this.dir);
    const names = withNames
      ? await this.o.names!(this.o.roomId).catch(() => new Map<string, string>())
      : null;
    return Promise.all(
      videos.map(async (v, i) => {
        if (names === null) return { source: v.source };
        const name = cleanName(names.get(v.participantId) ?? 'Guest');
        const nameFile = join(this.dir, `part-${n}-name-${i}.txt`);
        await writeFile(nameFile, v.source === 'screen' ? `${name} (screen)` : name);
        return { source: v.source, nameFile };
      }),
    );
  }

  /**
   * Opens the part's relay once FFmpeg has bound its ports, so the first packet FFmpeg reads of each stream
   * is the first one the relay forwards (its time 0), then asks the publishers for keyframes.
   */
  private async openWhenListening(part: Part): Promise<void> {
    const deadline = Date.now() + LISTEN_WAIT_MS;
    let exited = false;
    void part.exited.then(() => (exited = true));
    for (;;) {
      if (exited || part.stopping) return;
      const bound = await portsBound(part.ffmpegPorts);
      if (bound === true) break;
      if (bound === null) {
        // No /proc/net here: give FFmpeg a moment to start listening.
        await sleep(1000);
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(20);
    }
    if (exited || part.stopping) return;
    part.relay.open();
    const { roomId } = this.o;
    for (const ms of KEYFRAME_RETRIES_MS) {
      const t = setTimeout(() => {
        this.o.forwarder.requestKeyframe(roomId, part.meta.forwardId).catch(() => undefined);
      }, ms);
      t.unref();
      part.timers.push(t);
    }
    // FFmpeg reads its inputs' parameters before it opens its output, a picture's size from a keyframe among
    // them: with no keyframe it writes nothing at all. Should the requests above come to nothing (lost, or
    // refused by the SFU's throttle or the publisher's on a loaded host), ask again for as long as the part
    // waits for its first picture.
    const again = setInterval(() => {
      if (part.sawPicture || part.stopping || exited) {
        clearInterval(again);
        return;
      }
      this.o.forwarder.requestKeyframe(roomId, part.meta.forwardId).catch(() => undefined);
    }, KEYFRAME_AGAIN_MS);
    again.unref();
    part.timers.push(again);
  }

  /** Copies what the relay learnt of the part's time 0 into its meta (saved when it changed). */
  private noteOrigin(part: Part): void {
    const origin = part.relay.originAt;
    const relayed = part.relay.relayed;
    let changed = false;
    if (origin !== undefined && origin !== part.meta.originAt) {
      part.meta.originAt = origin;
      changed = true;
    }
    part.meta.tracks?.forEach((t, i) => {
      const at = relayed[i]?.originAt;
      if (at !== undefined && at !== t.originAt) {
        t.originAt = at;
        changed = true;
      }
    });
    if (part.relay.endedAt !== undefined && part.meta.endedAt === undefined) {
      part.meta.endedAt = part.relay.endedAt;
      changed = true;
    }
    if (changed) void this.saveMeta(); // saveMeta never rejects
  }

  /**
   * Stops feeding the part, lets FFmpeg work through the media it was sent (its socket queues empty), then
   * ends its input (RTCP BYE: it writes all it holds and exits; SIGINT when it does not), and stops the forward.
   */
  private async stopPart(part: Part): Promise<void> {
    part.stopping = true;
    for (const t of part.timers) clearInterval(t);
    part.relay.pause();
    this.noteOrigin(part);
    const child = part.child;
    const running = () => child.exitCode === null && child.signalCode === null;
    if (running()) {
      await drain(part.ffmpegPorts, part.exited, this.o.drainTimeoutMs ?? DRAIN_TIMEOUT_MS);
    }
    if (running()) {
      // The end of its input: FFmpeg writes everything its filters hold and exits by itself. An input that
      // stopped sending (someone left) holds the composite's grid back; at the end the others go on alone,
      // so the pictures and sound held since are written and the part reaches the cut.
      part.relay.bye();
      await Promise.race([part.exited, sleep(BYE_EXIT_MS)]);
    }
    if (running()) {
      // On SIGINT FFmpeg stops after the read it is in, flushes and writes the last fragment; its reads
      // wait for a packet, so the relay passes packets again until it has exited (it takes at most one more).
      // A second SIGINT interrupts a read that waits anyway (nobody sends any more).
      child.kill('SIGINT');
      part.relay.resume();
      const again = setTimeout(() => child.kill('SIGINT'), SECOND_SIGNAL_MS);
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await part.exited;
      clearTimeout(again);
      clearTimeout(killer);
    }
    part.relay.close();
    await this.o.forwarder.stop(this.o.roomId, part.meta.forwardId).catch(() => undefined);
    this.noteOrigin(part);
    await this.saveMeta();
  }

  private async saveMeta(): Promise<void> {
    await writeFile(join(this.dir, 'meta.json'), JSON.stringify(this.meta)).catch(() => undefined);
  }

  /** Stops the running part, joins the parts, stores the file; removes the work files. */
  async stop(): Promise<RecordingResult> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.changing;
    if (this.current !== null) {
      this.current.relay.markEnd();
      await sleep(END_MARGIN_MS);
      await this.stopPart(this.current);
    }
    this.current = null;
    const wallMs = Date.now() - this.meta.startedAt;
    try {
      const stored = await joinAndStore(this.dir, this.meta, this.o.storage, this.o.ffmpeg);
      if (stored === null) {
        const last = this.parts.at(-1);
        const why = last ? await logTail(last.logPath) : '';
        throw new Error(`FFmpeg wrote no recording: ${why || 'no output'}`);
      }
      return {
        ...stored,
        durationMs: stored.mediaDurationMs ?? wallMs,
        streams: this.streams,
        parts: this.meta.parts.length,
      };
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /** Stops without keeping anything (FFmpeg failed). */
  async abort(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.changing;
    for (const part of this.parts) {
      part.stopping = true;
      for (const t of part.timers) clearInterval(t);
      part.relay.close();
      await this.o.forwarder.stop(this.o.roomId, part.meta.forwardId).catch(() => undefined);
      part.child.kill('SIGKILL');
      await part.exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function lastLines(stderr: string): string {
  return stderr.trim().split('\n').slice(-3).join(' | ');
}

/** The last `bytes` of a file (FFmpeg appends progress for the whole recording). */
async function readTail(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Waits until FFmpeg has read everything queued on its ports (two empty readings in a row), it exits, or
 * `timeoutMs` passes. Where the queues cannot be read (no /proc/net), waits a second.
 */
async function drain(ports: number[], exited: Promise<unknown>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  let empty = 0;
  while (!gone && Date.now() < deadline) {
    const queued = await queuedBytes(ports);
    if (queued === null) {
      await sleep(1000);
      return;
    }
    empty = queued === 0 ? empty + 1 : 0;
    if (empty >= 2) return;
    await sleep(200);
  }
}

/** The last lines FFmpeg wrote to its log. */
async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return lastLines(text.slice(-4000));
}

/**
 * Where each part is cut: a part's media time t is the wall time `origin + t`, and the part is used from
 * its first picture (`beginS`) to where the next part's first picture is, in its own media time (`endS`;
 * the last part keeps the end it comes with, if any). A part the next one overtakes is left out.
 */
export function cutParts<T extends { originAt: number; beginS: number }>(
  parts: readonly T[],
): (T & { endS?: number })[] {
  const kept: (T & { endS?: number })[] = [];
  for (const part of parts) {
    const beginsAt = part.originAt + part.beginS * 1000;
    for (;;) {
      const prev = kept.at(-1);
      if (prev === undefined) break;
      prev.endS = (beginsAt - prev.originAt) / 1000;
      if (prev.endS > prev.beginS + 0.05) break;
      kept.pop();
    }
    kept.push({ ...part });
  }
  return kept;
}

/**
 * Joins the parts FFmpeg wrote, each cut on media time where the next one's picture begins (cutParts), into
 * one MP4 and stores it; null when no part has any media. The parts may end in a torn fragment (a killed
 * FFmpeg): the cut keeps what is whole.
 */
async function joinAndStore(
  dir: string,
  meta: RecordingMeta,
  storage: RecordingStorage,
  ffmpeg = 'ffmpeg',
): Promise<StoredRecording | null> {
  if (meta.layout === 'tracks') return packTracks(dir, meta, storage);
  const found: { path: string; n: number; originAt: number; beginS: number; endS?: number }[] = [];
  for (const part of meta.parts) {
    const path = join(dir, part.file);
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    const originAt = part.originAt ?? part.firstFrameAt;
    if (size === 0 || originAt === undefined) continue;
    const probe = await probeStreams(ffmpeg, path);
    if (probe === null || probe.video === undefined) continue;
    const beginS = Math.max(0, probe.video.start);
    // Where its feeding ended (the last part is cut there; the others where the next one begins).
    const endS = part.endedAt === undefined ? undefined : (part.endedAt - originAt) / 1000;
    found.push({
      path,
      n: part.n,
      originAt,
      beginS,
      ...(endS !== undefined && endS > beginS ? { endS } : {}),
    });
  }
  if (found.length === 0) return null;
  const usable: { path: string }[] = [];
  for (const part of cutParts(found)) {
    const cutPath = join(dir, `cut-${part.n}.mp4`);
    await run(ffmpeg, trimArgs(part.path, cutPath, part.beginS, part.endS));
    usable.push({ path: cutPath });
  }
  const listPath = join(dir, 'parts.txt');
  const outPath = join(dir, 'recording.mp4');
  await writeFile(listPath, concatList(usable));
  await run(ffmpeg, concatArgs(listPath, outPath));
  // HLS beside the MP4 (players stream it in segments); stored first, so a ready MP4 always has them.
  const hlsDir = join(dir, 'hls');
  await mkdir(hlsDir, { recursive: true });
  await run(ffmpeg, hlsArgs(outPath, hlsDir));
  const hls = (await readdir(hlsDir)).sort();
  for (const file of hls) await storage.put(`${hlsPrefix(meta.key)}${file}`, join(hlsDir, file));
  const lengths = await probeLengths(ffmpeg, outPath);
  return { ...(await storage.put(meta.key, outPath)), hls, ...lengths };
}

interface StreamTimes {
  start: number;
  duration: number;
}

/** When a file's first video and audio streams start and how long they last (seconds); null: unreadable. */
async function probeStreams(
  ffmpeg: string,
  path: string,
): Promise<{ duration: number; video?: StreamTimes; audio?: StreamTimes } | null> {
  const ffprobe = ffmpeg.endsWith('ffmpeg') ? `${ffmpeg.slice(0, -'ffmpeg'.length)}ffprobe` : 'ffprobe';
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        ffprobe,
        [
          '-v',
          'error',
          '-show_entries',
          'format=duration:stream=codec_type,start_time,duration',
          '-of',
          'json',
          path,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let text = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => (text += c));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`ffprobe exited ${code}`)),
      );
    });
    const json = JSON.parse(out) as {
      format?: { duration?: string };
      streams?: { codec_type?: string; start_time?: string; duration?: string }[];
    };
    const times = (type: string): StreamTimes | undefined => {
      const st = json.streams?.find((x) => x.codec_type === type);
      const start = Number(st?.start_time);
      const duration = Number(st?.duration);
      return st === undefined || !Number.isFinite(start)
        ? undefined
        : { start, duration: Number.isFinite(duration) ? duration : NaN };
    };
    const video = times('video');
    const audio = times('audio');
    return {
      duration: Number(json.format?.duration),
      ...(video !== undefined ? { video } : {}),
      ...(audio !== undefined ? { audio } : {}),
    };
  } catch {
    return null;
  }
}

/** The joined file's length, and how much its video falls short of its sound (a recorder that fell behind). */
async function probeLengths(
  ffmpeg: string,
  path: string,
): Promise<{ mediaDurationMs?: number; videoShortByMs?: number }> {
  const probe = await probeStreams(ffmpeg, path);
  if (probe === null) return {}; // the length stays the wall-clock one
  const end = (t: StreamTimes | undefined) => (t === undefined ? NaN : t.start + t.duration);
  const short = end(probe.audio) - end(probe.video);
  return {
    ...(Number.isFinite(probe.duration) ? { mediaDurationMs: Math.round(probe.duration * 1000) } : {}),
    ...(Number.isFinite(short) && short > 0.5 ? { videoShortByMs: Math.round(short * 1000) } : {}),
  };
}

/**
 * A per-track recording's file: an uncompressed tar (the media is compressed already) of every track file
 * with media and a `manifest.json` saying whose track each is, the wall time of each file's time 0 (the
 * track's first packet), and when each part's media began and the next one's began (wall time, ms), so an
 * editor can line the tracks up.
 */
async function packTracks(
  dir: string,
  meta: RecordingMeta,
  storage: RecordingStorage,
): Promise<StoredObject | null> {
  const files: string[] = [];
  const parts = [];
  for (const part of meta.parts) {
    const tracks = [];
    for (const t of part.tracks ?? []) {
      const size = await stat(join(dir, t.file)).then(
        (st) => st.size,
        () => 0,
      );
      if (size === 0) continue;
      files.push(t.file);
      tracks.push({
        file: t.file,
        first_packet_at_ms: t.originAt === undefined ? null : Math.round(t.originAt),
        track_id: t.trackId,
        participant_id: t.participantId,
        name: t.name ?? null,
        kind: t.kind,
        source: t.source,
      });
    }
    const origin = part.originAt ?? part.firstFrameAt;
    parts.push({
      part: part.n,
      started_at_ms: part.startedAt,
      first_frame_at_ms: origin === undefined ? null : Math.round(origin),
      cut_at_ms: part.cutAt === undefined ? null : Math.round(part.cutAt),
      tracks,
    });
  }
  if (files.length === 0) return null;
  const manifest = {
    recording_id: meta.recordingId,
    meeting_id: meta.roomId,
    started_at_ms: meta.startedAt,
    parts,
  };
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const outPath = join(dir, 'recording.tar');
  await run('tar', ['-cf', outPath, '-C', dir, 'manifest.json', ...files]);
  return storage.put(meta.key, outPath);
}

function run(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${binary} exited with ${String(code)}: ${lastLines(stderr)}`)),
    );
  });
}

/** Whether `pid` is an FFmpeg of this recording (a pid can be reused by another process after a reboot). */
async function isOurFfmpeg(pid: number, recordingId: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(recordingId);
  } catch {
    return false;
  }
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    // gone in between
  }
};

/** Ends an FFmpeg of this recording that outlived its recorder: SIGINT, then SIGKILL after 10 s. */
async function endOrphan(pid: number, recordingId: string): Promise<void> {
  if (!(await isOurFfmpeg(pid, recordingId))) return;
  signal(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (!(await isOurFfmpeg(pid, recordingId))) return;
  }
  signal(pid, 'SIGKILL');
}

export interface InterruptedResult extends StoredRecording {
  durationMs: number;
  parts: number;
}

/**
 * Finishes a recording whose recorder died: stops FFmpeg processes it left running and the SFU's forwards,
 * joins the parts on disk and stores the file. Null when nothing usable was written (or the folder is gone).
 */
export async function finalizeInterrupted(o: {
  recordingId: string;
  workDir: string;
  storage: RecordingStorage;
  forwarder: RtpForwarder;
  ffmpeg?: string | undefined;
}): Promise<InterruptedResult | null> {
  const dir = join(o.workDir, o.recordingId);
  let meta: RecordingMeta;
  try {
    meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as RecordingMeta;
  } catch {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  try {
    for (const part of meta.parts) {
      // An FFmpeg left running (its recorder died, not the machine) ends its file cleanly on SIGINT.
      if (part.pid !== undefined) await endOrphan(part.pid, o.recordingId);
      await o.forwarder.stop(meta.roomId, part.forwardId).catch(() => undefined);
    }
    // The last part ends where its file was last written.
    const last = meta.parts.at(-1);
    const lastWrite = last
      ? await stat(join(dir, last.file)).then(
          (s) => s.mtimeMs,
          () => meta.startedAt,
        )
      : meta.startedAt;
    const stored = await joinAndStore(dir, meta, o.storage, o.ffmpeg);
    return stored === null
      ? null
      : {
          ...stored,
          durationMs: stored.mediaDurationMs ?? Math.max(0, Math.round(lastWrite - meta.startedAt)),
          parts: meta.parts.length,
        };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export class NothingToRecordError extends Error {
  constructor() {
    super('The meeting has no published tracks to record');
    this.name = 'NothingToRecordError';
  }
}
