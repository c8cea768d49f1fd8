// The tracks of one participant as signaling knows them, one record per track: announced by the client
// (add_track, keyed by its cid), published (the SFU gave it a sid in the Publish reply) and live (the SFU
// reported media arriving). Either of the last two can come first: the SFU's event races the reply.
// Others see a track only once it is live; its publisher hears track_published once it has a sid.
import { TrackKind, TrackSource, type AddTrackRequest, type TrackInfo } from '@origo/proto/signal';
import type { PublishedTrack, TrackPublishedEvent } from '@origo/proto/sfu-rpc';
import { invalid } from './errors.js';

/** Announced tracks a client may hold without sending the offer that carries them. */
export const MAX_PENDING_TRACKS = 32;

interface TrackRecord {
  info: TrackInfo;
  /** The publisher has been told the sid (track_published). */
  published: boolean;
  /** Media arrived at the SFU: others may subscribe. */
  live: boolean;
}

export class SessionTracks {
  private readonly pending = new Map<string, AddTrackRequest>();
  private readonly bySid = new Map<string, TrackRecord>();

  constructor(private readonly participantSid: string) {}

  /** Records an add_track; validated by the caller. */
  announce(req: AddTrackRequest): void {
    if (this.pending.size >= MAX_PENDING_TRACKS && !this.pending.has(req.cid))
      throw invalid('too many tracks announced without a publish offer');
    this.pending.set(req.cid, req);
  }

  announced(): AddTrackRequest[] {
    return [...this.pending.values()];
  }

  /**
   * The Publish reply: sids for the tracks of the offer. Returns the tracks whose publisher has not been
   * told its sid yet (every announced track the offer carried, whatever the order of reply and event).
   */
  assign(published: readonly PublishedTrack[]): TrackInfo[] {
    const fresh: TrackInfo[] = [];
    for (const p of published) {
      const announced = this.pending.get(p.cid);
      this.pending.delete(p.cid);
      let rec = this.bySid.get(p.trackId);
      if (!rec) {
        rec = { info: this.fromAnnouncement(p.trackId, announced), published: false, live: false };
        this.bySid.set(p.trackId, rec);
      } else if (announced) {
        // The live event came first with the SFU's copy of the announcement; the client's is the same
        // data, but the size and layers it gave are what others render from.
        mergeAnnouncement(rec.info, announced);
      }
      if (!rec.published) {
        rec.published = true;
        fresh.push(rec.info);
      }
    }
    return fresh;
  }

  /** The SFU reports media on a track. Returns the track when it just became live. */
  markLive(ev: TrackPublishedEvent): TrackInfo | undefined {
    let rec = this.bySid.get(ev.trackId);
    if (!rec) {
      rec = {
        info: {
          sid: ev.trackId,
          participantSid: this.participantSid,
          kind: ev.kind,
          source: ev.source,
          muted: ev.muted,
          width: ev.width,
          height: ev.height,
          layers: ev.layers,
          mimeType: ev.mimeType,
        },
        published: false,
        live: false,
      };
      this.bySid.set(ev.trackId, rec);
    }
    rec.info.mimeType = ev.mimeType;
    if (rec.info.layers.length === 0) rec.info.layers = ev.layers;
    if (rec.info.width === 0 && rec.info.height === 0) {
      rec.info.width = ev.width;
      rec.info.height = ev.height;
    }
    if (rec.live) return undefined;
    rec.live = true;
    return rec.info;
  }

  get(sid: string): TrackInfo | undefined {
    return this.bySid.get(sid)?.info;
  }

  isLive(sid: string): boolean {
    return this.bySid.get(sid)?.live ?? false;
  }

  /** Removes a closed track; true when others knew it (it was live). */
  remove(sid: string): boolean {
    const rec = this.bySid.get(sid);
    if (!rec) return false;
    this.bySid.delete(sid);
    return rec.live;
  }

  /** The tracks others see: live ones, in publication order. */
  live(): TrackInfo[] {
    return [...this.bySid.values()].filter((r) => r.live).map((r) => r.info);
  }

  all(): TrackInfo[] {
    return [...this.bySid.values()].map((r) => r.info);
  }

  private fromAnnouncement(sid: string, a: AddTrackRequest | undefined): TrackInfo {
    return {
      sid,
      participantSid: this.participantSid,
      kind: a?.kind ?? TrackKind.TRACK_KIND_UNSPECIFIED,
      source: a?.source ?? TrackSource.TRACK_SOURCE_UNSPECIFIED,
      muted: a?.muted ?? false,
      width: a?.width ?? 0,
      height: a?.height ?? 0,
      layers: a?.layers ?? [],
      mimeType: '',
    };
  }
}

function mergeAnnouncement(info: TrackInfo, a: AddTrackRequest): void {
  if (a.width > 0 && a.height > 0) {
    info.width = a.width;
    info.height = a.height;
  }
  if (info.layers.length === 0) info.layers = a.layers;
}
