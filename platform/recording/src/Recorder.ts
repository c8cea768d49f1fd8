// One recording in progress: the SFU forwards the room's tracks as plain RTP to ports on this host, FFmpeg
// reads them through an SDP file and writes the composite, and on stop the file goes to storage.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildSdp,
  compositeArgs,
  DEFAULT_COMPOSITE,
  type CompositeOptions,
  type RtpStreamDescription,
} from './ffmpeg.js';
import type { RtpForwarder } from './forwarder.js';
import { reserveRtpPorts } from './ports.js';
import type { RecordingStorage, StoredObject } from './storage.js';

export interface RecorderOptions {
  recordingId: string;
  roomId: string;
  /** Storage key of the finished file. */
  key: string;
  forwarder: RtpForwarder;
  storage: RecordingStorage;
  /** Folder for the SDP and the file being written. */
  workDir: string;
  /** Address the SFU sends to: this host as the SFU reaches it (loopback on one machine, the pod IP). */
  rtpHost: string;
  /** Address FFmpeg binds; default rtpHost. */
  bindHost?: string;
  ffmpeg?: string;
  composite?: Partial<CompositeOptions>;
  /** Most tracks recorded (ports reserved). Default 16. */
  maxStreams?: number;
  /** Called once if FFmpeg exits before stop() (its last lines of stderr). */
  onFailure?: (reason: string) => void;
}

export interface RecordingResult extends StoredObject {
  durationMs: number;
  streams: RtpStreamDescription[];
}

const SECOND_SIGNAL_MS = 2000;
const STOP_GRACE_MS = 15_000;
/** Keyframe requests after FFmpeg starts listening: the one sent when the forward began may predate it. */
const KEYFRAME_RETRIES_MS = [700, 2000];

export class Recorder {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  private stderr = '';
  private stopping = false;
  private startedAt = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  streams: RtpStreamDescription[] = [];
  readonly outPath: string;
  private readonly sdpPath: string;

  constructor(private readonly o: RecorderOptions) {
    this.outPath = join(o.workDir, `${o.recordingId}.mp4`);
    this.sdpPath = join(o.workDir, `${o.recordingId}.sdp`);
  }

  /** Starts forwarding and FFmpeg; resolves once FFmpeg runs. Throws when the room has nothing to record. */
  async start(): Promise<RtpStreamDescription[]> {
    const o = this.o;
    await mkdir(o.workDir, { recursive: true });
    const bindHost = o.bindHost ?? o.rtpHost;
    const ports = await reserveRtpPorts(bindHost, o.maxStreams ?? 16);
    this.streams = await o.forwarder.start({
      roomId: o.roomId,
      forwardId: o.recordingId,
      host: o.rtpHost,
      ports,
    });
    if (this.streams.length === 0) {
      await o.forwarder.stop(o.roomId, o.recordingId).catch(() => undefined);
      throw new NothingToRecordError();
    }
    try {
      await writeFile(this.sdpPath, buildSdp(bindHost, this.streams));
      this.spawnFfmpeg();
    } catch (err) {
      await o.forwarder.stop(o.roomId, o.recordingId).catch(() => undefined);
      throw err;
    }
    this.startedAt = Date.now();
    for (const ms of KEYFRAME_RETRIES_MS) {
      const t = setTimeout(() => {
        o.forwarder.requestKeyframe(o.roomId, o.recordingId).catch(() => undefined);
      }, ms);
      t.unref();
      this.timers.push(t);
    }
    return this.streams;
  }

  private spawnFfmpeg(): void {
    const o = this.o;
    const composite = { ...DEFAULT_COMPOSITE, ...o.composite };
    const child = spawn(
      o.ffmpeg ?? 'ffmpeg',
      compositeArgs(this.sdpPath, this.outPath, this.streams, composite),
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // Keep the tail only: enough to say why it failed.
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.stderr += `\n${err.message}`;
        resolve(null);
      });
      child.once('exit', (code) => resolve(code));
    });
    void this.exited.then((code) => {
      if (!this.stopping) o.onFailure?.(`ffmpeg exited with ${String(code)}: ${this.lastLines()}`);
    });
  }

  private lastLines(): string {
    return this.stderr.trim().split('\n').slice(-3).join(' | ');
  }

  /** Lets FFmpeg finish the file, stops forwarding, stores the file; removes the work files. */
  async stop(): Promise<RecordingResult> {
    const o = this.o;
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      // SIGINT while packets still arrive: FFmpeg's read returns, it sees the signal, flushes its encoders and
      // writes the last fragment. Stopping the forward first would leave that read waiting for its timeout.
      // A second SIGINT interrupts a read that waits anyway (nobody publishes any more).
      child.kill('SIGINT');
      const again = setTimeout(() => child.kill('SIGINT'), SECOND_SIGNAL_MS);
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(again);
      clearTimeout(killer);
    }
    await o.forwarder.stop(o.roomId, o.recordingId).catch(() => undefined);
    const durationMs = Date.now() - this.startedAt;
    try {
      const size = await stat(this.outPath).then(
        (s) => s.size,
        () => 0,
      );
      if (size === 0) throw new Error(`FFmpeg wrote no recording: ${this.lastLines() || 'no output'}`);
      const stored = await o.storage.put(o.key, this.outPath);
      return { ...stored, durationMs, streams: this.streams };
    } finally {
      await rm(this.outPath, { force: true });
      await rm(this.sdpPath, { force: true });
    }
  }

  /** Stops without keeping anything (the role stops). */
  async abort(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    await this.o.forwarder.stop(this.o.roomId, this.o.recordingId).catch(() => undefined);
    this.child?.kill('SIGKILL');
    await this.exited;
    await rm(this.sdpPath, { force: true });
  }
}

export class NothingToRecordError extends Error {
  constructor() {
    super('The meeting has no published tracks to record');
    this.name = 'NothingToRecordError';
  }
}
