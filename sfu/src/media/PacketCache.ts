import { seqDiff } from './rtp.js';

/** A cached packet as read back; `payload` is a view into the cache's storage. */
export interface CachedPacket {
  seq: number;
  ts: number;
  marker: boolean;
  payload: Buffer;
}

export interface PacketCacheOptions {
  /** Number of slots, rounded up to a power of two. Default 512 (about 1.5 s of 2.5 Mbps video). */
  size?: number;
  /** Largest payload stored; larger payloads are not cached. Default 1500. */
  slotBytes?: number;
  /** Entries older than this are treated as missing. Default 3000 ms. */
  maxAgeMs?: number;
}

/**
 * Fixed-size ring of RTP payloads keyed by sequence number, to answer NACKs (RFC 4585 6.2.1).
 * All storage is allocated once; put() copies into a reused slot.
 */
export class PacketCache {
  readonly size: number;
  readonly slotBytes: number;
  readonly maxAgeMs: number;
  private readonly mask: number;
  private readonly store: Buffer;
  private readonly seqs: Int32Array;
  private readonly lens: Uint16Array;
  private readonly tss: Uint32Array;
  private readonly markers: Uint8Array;
  private readonly times: Float64Array;
  private highest = -1;

  constructor(opts: PacketCacheOptions = {}) {
    let size = 1;
    const want = Math.max(16, Math.min(32768, opts.size ?? 512));
    while (size < want) size <<= 1;
    this.size = size;
    this.mask = size - 1;
    this.slotBytes = opts.slotBytes ?? 1500;
    this.maxAgeMs = opts.maxAgeMs ?? 3000;
    this.store = Buffer.alloc(size * this.slotBytes);
    this.seqs = new Int32Array(size).fill(-1);
    this.lens = new Uint16Array(size);
    this.tss = new Uint32Array(size);
    this.markers = new Uint8Array(size);
    this.times = new Float64Array(size);
  }

  /** Stores a copy of the payload. Returns false when it does not fit a slot. */
  put(seq: number, ts: number, marker: boolean, payload: Uint8Array, nowMs: number): boolean {
    const len = payload.length;
    if (len > this.slotBytes) return false;
    const idx = seq & this.mask;
    this.store.set(payload, idx * this.slotBytes);
    this.seqs[idx] = seq;
    this.lens[idx] = len;
    this.tss[idx] = ts;
    this.markers[idx] = marker ? 1 : 0;
    this.times[idx] = nowMs;
    if (this.highest < 0 || seqDiff(seq, this.highest) > 0) this.highest = seq;
    return true;
  }

  /** Reads a packet into `out`. False when it was never stored, was overwritten or is too old. */
  get(seq: number, out: CachedPacket, nowMs: number): boolean {
    const idx = seq & this.mask;
    if (this.seqs[idx] !== seq) return false;
    if (nowMs - this.times[idx]! > this.maxAgeMs) return false;
    // A slot can only hold a seq within `size` of the newest; anything further is a stale twin.
    if (this.highest >= 0 && Math.abs(seqDiff(this.highest, seq)) >= this.size) return false;
    const off = idx * this.slotBytes;
    out.seq = seq;
    out.ts = this.tss[idx]!;
    out.marker = this.markers[idx] === 1;
    out.payload = this.store.subarray(off, off + this.lens[idx]!);
    return true;
  }

  clear(): void {
    this.seqs.fill(-1);
    this.highest = -1;
  }
}
