// The recordings this process runs: starts a Recorder for a meeting, stops it, records each step in the
// store (with its audit row) and keeps the finished file's size and duration. One recording per meeting.
// At start it finishes the recordings it was writing when it last stopped without stopping them.
import { join } from 'node:path';
import { AppError, type Logger } from '@origo/kit';
import type { CompositeOptions, RtpStreamDescription } from './ffmpeg.js';
import type { RtpForwarder } from './forwarder.js';
import {
  finalizeInterrupted,
  hlsPrefix,
  NothingToRecordError,
  Recorder,
  type NameLookup,
  type RecordingLayout,
} from './Recorder.js';
import { recordingRefused, type RecordingQuota } from './billing.js';
import type { RecordingStorage } from './storage.js';
import { newRecordingId, type Actor, type Db, type RecordingStore } from './store.js';
import type { RecordingRow } from './db/schema.js';

export interface RecordingManagerDeps {
  store: RecordingStore;
  storage: RecordingStorage;
  forwarder: RtpForwarder;
  /** Folder for files being written. */
  workDir: string;
  /** Address the SFU sends RTP to (this host as the SFU sees it). */
  rtpHost: string;
  /** Address FFmpeg binds; default rtpHost. */
  bindHost?: string | undefined;
  ffmpeg?: string;
  composite?: Partial<CompositeOptions>;
  logger: Logger;
  /** This recorder's id: its unfinished recordings are its to finish after a restart. */
  recorderId: string;
  /** Names under the tiles. */
  names?: NameLookup | undefined;
  /** How often a recorder reads the room's tracks. */
  layoutPollMs?: number;
  /** Told when a recording starts, ends (ready or failed); for metrics and the room's banner. */
  onChange?: (row: RecordingRow) => void;
  /** The meeting's organization, host and title (control's GetMeeting); a failure is logged, not fatal. */
  meetings?: ((meetingId: string) => Promise<MeetingInfo>) | undefined;
  /**
   * May the organization's plan start a recording (billing's CheckRecording)? Null: billing did not answer
   * (fail open). Asked only when the meeting's organization is known.
   */
  checkPlan?: ((input: { orgId: string; meetingId: string }) => Promise<RecordingQuota | null>) | undefined;
  /** Writes the host's "recording ready" notification in the transaction that marks it ready. */
  notifyReady?: ((tx: Db, row: RecordingRow) => Promise<void>) | undefined;
  /** After a ready recording committed (the notification relay hands its row over). */
  afterReady?: (() => void) | undefined;
  /** Told when a finished recording's video fell short of its sound (the recorder could not keep up). */
  onDegraded?: (() => void) | undefined;
  /** Told why a recording failed: `ffmpeg`, `nothing_written` (stop found no media), `lost` (restart). */
  onFailureCause?: (cause: 'ffmpeg' | 'nothing_written' | 'lost') => void;
}

const SERVICE: Actor = { id: 'service:recording' };

export interface MeetingInfo {
  orgId: string;
  hostId: string;
  title: string;
}

export class RecordingManager {
  private readonly running = new Map<string, Recorder>();
  private readonly finishing = new Set<Promise<unknown>>();

  constructor(private readonly deps: RecordingManagerDeps) {}

  get activeCount(): number {
    return this.running.size;
  }

  async start(meetingId: string, actor: Actor, layout: RecordingLayout = 'composite'): Promise<RecordingRow> {
    const { store, storage } = this.deps;
    if (await store.active(meetingId)) throw AppError.conflict('The meeting is already being recorded');
    const id = newRecordingId();
    const meeting = await this.deps.meetings?.(meetingId).catch((err: unknown) => {
      this.deps.logger.warn(
        { err, meeting_id: meetingId },
        'could not read the meeting from control: the recording has no organization and its host is not told when it is ready',
      );
      return undefined;
    });
    if (meeting !== undefined && this.deps.checkPlan !== undefined) {
      const quota = await this.deps.checkPlan({ orgId: meeting.orgId, meetingId });
      if (quota !== null && !quota.allowed) throw recordingRefused(quota);
    }
    const key = `${meetingId.replace(/[^A-Za-z0-9._-]/g, '_')}/${id}.${layout === 'tracks' ? 'tar' : 'mp4'}`;
    const recorder = new Recorder({
      recordingId: id,
      roomId: meetingId,
      key,
      forwarder: this.deps.forwarder,
      storage,
      workDir: this.deps.workDir,
      rtpHost: this.deps.rtpHost,
      ...(this.deps.bindHost !== undefined ? { bindHost: this.deps.bindHost } : {}),
      ...(this.deps.ffmpeg !== undefined ? { ffmpeg: this.deps.ffmpeg } : {}),
      ...(this.deps.composite !== undefined ? { composite: this.deps.composite } : {}),
      ...(this.deps.names !== undefined ? { names: this.deps.names } : {}),
      ...(this.deps.layoutPollMs !== undefined ? { layoutPollMs: this.deps.layoutPollMs } : {}),
      layout,
      onFailure: (reason) => this.failed(id, reason),
    });
    this.running.set(id, recorder);
    let streams;
    try {
      streams = await recorder.start();
    } catch (err) {
      this.running.delete(id);
      if (err instanceof NothingToRecordError) throw AppError.precondition(err.message);
      throw err;
    }
    const row = await store.create(
      {
        id,
        meetingId,
        storage: storage.kind,
        storageKey: key,
        tracks: tracksJson(streams),
        recorderId: this.deps.recorderId,
        layout,
        orgId: meeting?.orgId ?? null,
        hostId: meeting?.hostId ?? null,
        meetingTitle: meeting?.title ?? null,
      },
      actor,
    );
    this.deps.logger.info(
      { recording_id: id, meeting_id: meetingId, streams: streams.length },
      'recording started',
    );
    this.deps.onChange?.(row);
    return row;
  }

  /** Stops a recording; resolves when the file is stored (status ready) or the recording failed. */
  async stop(id: string, actor: Actor): Promise<RecordingRow> {
    return (await this.beginStop(id, actor)).done;
  }

  /**
   * Stops a recording: resolves once it is `stopping` (a refused stop rejects here), with `done`, which
   * resolves when the file is stored (ready) or the recording failed. `done` never rejects.
   */
  async beginStop(
    id: string,
    actor: Actor,
  ): Promise<{ stopping: RecordingRow; done: Promise<RecordingRow> }> {
    const { store } = this.deps;
    const row = await store.get(id);
    if (!row) throw AppError.notFound('Recording');
    if (row.status !== 'recording') throw AppError.precondition(`The recording is ${row.status}`);
    const recorder = this.running.get(id);
    if (!recorder) throw AppError.precondition('The recording runs on another recorder or was interrupted');
    const stopping = await store.transition(id, 'recording', 'stopping', 'recording.stopped', actor, {
      stoppedAt: new Date(),
    });
    if (!stopping) throw AppError.precondition('The recording is already stopping');
    this.deps.onChange?.(stopping);
    const work = this.finish(id, recorder).catch(async (err: unknown) => {
      // The store failed while finishing: the row stays `stopping` until the next start takes it over.
      this.deps.logger.error({ err, recording_id: id }, 'finishing a stopped recording');
      return (await store.get(id).catch(() => null)) ?? stopping;
    });
    this.finishing.add(work);
    void work.finally(() => this.finishing.delete(work));
    return { stopping, done: work };
  }

  private async finish(id: string, recorder: Recorder): Promise<RecordingRow> {
    const { store, logger } = this.deps;
    let outcome:
      { bytes: number; durationMs: number; tracks: unknown[]; hlsFiles: string[] | null } | { error: string };
    try {
      const result = await recorder.stop();
      outcome = {
        bytes: result.bytes,
        durationMs: result.durationMs,
        tracks: tracksJson(result.streams),
        hlsFiles: result.hls ?? null,
      };
      logger.info(
        { recording_id: id, bytes: result.bytes, duration_ms: result.durationMs, parts: result.parts },
        'recording ready',
      );
      if (result.videoShortByMs !== undefined) {
        this.deps.onDegraded?.();
        logger.warn(
          { recording_id: id, video_short_by_ms: result.videoShortByMs },
          'the recorder fell behind real time: the video ends before the sound (the machine is overloaded; npm run bench:recording measures how many recordings a core carries)',
        );
      }
    } catch (err) {
      logger.error({ err, recording_id: id }, 'recording failed at stop');
      this.deps.onFailureCause?.('nothing_written');
      outcome = { error: (err as Error).message.slice(0, 1000) };
    } finally {
      this.running.delete(id);
    }
    const row =
      'error' in outcome
        ? await store.transition(id, 'stopping', 'failed', 'recording.failed', SERVICE, outcome)
        : await store.transition(
            id,
            'stopping',
            'ready',
            'recording.ready',
            SERVICE,
            outcome,
            this.deps.notifyReady,
          );
    if (row?.status === 'ready') this.deps.afterReady?.();
    if (row) this.deps.onChange?.(row);
    return row ?? (await store.get(id))!;
  }

  /** FFmpeg died while recording. */
  private failed(id: string, reason: string): void {
    const recorder = this.running.get(id);
    this.running.delete(id);
    this.deps.logger.error({ recording_id: id, reason }, 'recorder failed');
    this.deps.onFailureCause?.('ffmpeg');
    const work = (async () => {
      await recorder?.abort();
      const row = await this.deps.store.transition(id, 'recording', 'failed', 'recording.failed', SERVICE, {
        error: reason.slice(0, 1000),
        stoppedAt: new Date(),
      });
      if (row) this.deps.onChange?.(row);
    })().catch((err: unknown) =>
      this.deps.logger.error({ err, recording_id: id }, 'marking a failed recording'),
    );
    this.finishing.add(work);
    // work never rejects (its failure is logged above), so the promise finally returns needs no handler.
    void work.finally(() => this.finishing.delete(work));
  }

  async delete(id: string, actor: Actor): Promise<RecordingRow> {
    const row = await this.deps.store.get(id);
    if (!row) throw AppError.notFound('Recording');
    if (row.status === 'recording' || row.status === 'stopping')
      throw AppError.precondition('Stop the recording before deleting it');
    await this.removeFiles(row);
    const deleted = await this.deps.store.delete(id, actor);
    if (!deleted) throw AppError.notFound('Recording');
    return deleted;
  }

  /**
   * Finishes the recordings this recorder was writing when it stopped without stopping them (killed, out
   * of memory, the machine restarted): each is joined from the parts on disk and marked interrupted, or
   * failed when nothing could be kept. Run once at start, before taking new recordings.
   */
  async recover(): Promise<RecordingRow[]> {
    const done: RecordingRow[] = [];
    for (const row of await this.deps.store.unfinishedOf(this.deps.recorderId)) {
      if (this.running.has(row.id)) continue;
      const next = await this.finishInterrupted(row);
      if (next) done.push(next);
    }
    return done;
  }

  /**
   * Takes over the unfinished recordings of recorders that are dead (`isDead`: they stopped heartbeating,
   * so they will not come back to finish them): each is claimed in the database (one recorder wins when
   * several try) and finished like this recorder's own after a restart, from the parts in the shared work
   * folder when they are there, else marked failed.
   */
  async takeOver(isDead: (recorderId: string) => Promise<boolean>): Promise<RecordingRow[]> {
    const { store, logger, recorderId } = this.deps;
    const done: RecordingRow[] = [];
    for (const owner of await store.unfinishedOwners(recorderId)) {
      if (!(await isDead(owner))) continue;
      for (const row of await store.unfinishedOf(owner)) {
        const claimed = await store.claim(row.id, owner, recorderId, SERVICE);
        if (claimed === null) continue; // another recorder was first
        logger.warn(
          { recording_id: row.id, recorder_id: owner },
          'taking over a recording whose recorder stopped heartbeating',
        );
        const next = await this.finishInterrupted(claimed);
        if (next) done.push(next);
      }
    }
    return done;
  }

  /** Finishes an unfinished recording nobody writes any more; the row after (null: someone else moved it). */
  private async finishInterrupted(row: RecordingRow): Promise<RecordingRow | null> {
    const { store, logger } = this.deps;
    const from = row.status as 'recording' | 'stopping';
    let next: RecordingRow | null;
    try {
      const result = await finalizeInterrupted({
        recordingId: row.id,
        workDir: this.deps.workDir,
        storage: this.deps.storage,
        forwarder: this.deps.forwarder,
        ffmpeg: this.deps.ffmpeg,
      });
      if (result === null) throw new Error('nothing it wrote could be kept');
      next = await store.transition(
        row.id,
        from,
        'ready',
        'recording.ready',
        SERVICE,
        {
          bytes: result.bytes,
          durationMs: result.durationMs,
          hlsFiles: result.hls ?? null,
          interrupted: true,
          stoppedAt: row.stoppedAt ?? new Date(),
        },
        this.deps.notifyReady,
      );
      if (next) this.deps.afterReady?.();
      logger.warn(
        { recording_id: row.id, bytes: result.bytes, parts: result.parts },
        'recording finished after its recorder stopped',
      );
    } catch (err) {
      this.deps.onFailureCause?.('lost');
      logger.error({ err, recording_id: row.id }, 'recording lost when the recorder stopped');
      next = await store.transition(row.id, from, 'failed', 'recording.failed', SERVICE, {
        error: `The recorder stopped during the recording: ${(err as Error).message}`.slice(0, 1000),
        interrupted: true,
        stoppedAt: row.stoppedAt ?? new Date(),
      });
    }
    if (next) this.deps.onChange?.(next);
    return next;
  }

  /** The recording's file and its HLS files. */
  private async removeFiles(row: RecordingRow): Promise<void> {
    for (const file of row.hlsFiles ?? [])
      await this.deps.storage.delete(`${hlsPrefix(row.storageKey)}${file}`);
    await this.deps.storage.delete(row.storageKey);
  }

  /** Deletes the recordings (and files) of organizations' retention that have expired; returns how many. */
  async sweepRetention(now = new Date()): Promise<number> {
    let removed = 0;
    for (const row of await this.deps.store.expired(now)) {
      try {
        await this.removeFiles(row);
        if (await this.deps.store.delete(row.id, SERVICE)) removed++;
      } catch (err) {
        this.deps.logger.warn({ err, recording_id: row.id }, 'could not remove an expired recording');
      }
    }
    if (removed > 0) this.deps.logger.info({ removed }, 'expired recordings removed (retention)');
    return removed;
  }

  /** Stops every running recording, keeping what was written (the role stops). */
  async close(): Promise<void> {
    await Promise.allSettled(
      [...this.running.keys()].map((id) => this.stop(id, SERVICE).catch(() => undefined)),
    );
    await Promise.allSettled([...this.finishing]);
  }

  /** Work folder of this process's recorders. */
  static workDirOf(dataDir: string): string {
    return join(dataDir, 'recording', 'work');
  }
}

const tracksJson = (streams: readonly RtpStreamDescription[]) =>
  streams.map((s) => ({
    track_id: s.trackId,
    participant_id: s.participantId,
    kind: s.kind,
    source: s.source,
  }));
