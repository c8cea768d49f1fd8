// The tracks of one room, one record per track: created at Publish (its id chosen here, before any media)
// and given to the media core as the producer's id, so the record, the producer and every event about the
// track share one identity. Indexed by (participant, mid) for the next offer of the same publisher.
import { randomBytes } from 'node:crypto';
import type { TrackKind, TrackSource, VideoLayer } from '@origo/proto/sfu-rpc';
import type { Producer } from '../media/index.js';

export type TrackState = 'published' | 'live';

export interface WorkerTrack {
  readonly id: string;
  readonly participantId: string;
  readonly mid: string;
  readonly cid: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  /** Announced simulcast layers, lowest first. */
  readonly layers: VideoLayer[];
  readonly width: number;
  readonly height: number;
  muted: boolean;
  /** `published`: in an answered offer, no media yet; `live`: its producer exists. */
  state: TrackState;
  producer: Producer | undefined;
}

export function newTrackId(): string {
  return `TR_${randomBytes(9).toString('base64url')}`;
}

const midKey = (participantId: string, mid: string): string => `${participantId}\u0000${mid}`;

export class TrackRegistry {
  private readonly byId = new Map<string, WorkerTrack>();
  private readonly byMid = new Map<string, WorkerTrack>();

  get(id: string): WorkerTrack | undefined {
    return this.byId.get(id);
  }

  /** The track a publisher's m-line carries, if it has one. */
  forMid(participantId: string, mid: string): WorkerTrack | undefined {
    return this.byMid.get(midKey(participantId, mid));
  }

  add(track: WorkerTrack): void {
    this.byId.set(track.id, track);
    this.byMid.set(midKey(track.participantId, track.mid), track);
  }

  remove(id: string): WorkerTrack | undefined {
    const track = this.byId.get(id);
    if (!track) return undefined;
    this.byId.delete(id);
    const key = midKey(track.participantId, track.mid);
    if (this.byMid.get(key) === track) this.byMid.delete(key);
    return track;
  }

  /** Tracks of a participant that never went live (its producers report their own closing). */
  dropPending(participantId: string): void {
    for (const t of [...this.byId.values()])
      if (t.participantId === participantId && t.state === 'published') this.remove(t.id);
  }

  values(): IterableIterator<WorkerTrack> {
    return this.byId.values();
  }
}
