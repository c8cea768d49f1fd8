import { describe, expect, it } from 'vitest';
import { LIBWEBRTC_BURST_INTERVAL_MS, PacedQueue } from '../src/media/synthetic.js';

const packet = (bytes: number) => ({ payload: Buffer.alloc(bytes) });

describe('PacedQueue (libwebrtc-style interval budget)', () => {
  // 4 Mbit/s paced at 2.5x: 1,250 bytes per ms, 6,250 bytes per 5 ms window (the pacer before 2023),
  // 50,000 bytes per 40 ms burst interval (since).
  const bytesPerMs = (2.5 * 4_000_000) / 8000;
  const PACING_WINDOW_MS = 5;

  it('with a 5 ms window spreads a 14-packet frame over several windows instead of one burst', () => {
    const q = new PacedQueue<{ payload: Buffer }>(bytesPerMs, PACING_WINDOW_MS);
    for (let i = 0; i < 14; i++) q.push(packet(1200));
    const bursts: number[] = [];
    for (let t = 0; t <= 40 && q.length > 0; t += PACING_WINDOW_MS) {
      let n = 0;
      q.drain(t, () => n++);
      bursts.push(n);
    }
    expect(bursts.reduce((a, b) => a + b, 0)).toBe(14);
    expect(bursts.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...bursts)).toBeLessThanOrEqual(6);
  });

  it('keeps the long-run rate at the pacing rate and sends in order', () => {
    const q = new PacedQueue<{ payload: Buffer; i: number }>(bytesPerMs, PACING_WINDOW_MS);
    for (let i = 0; i < 1000; i++) q.push({ payload: Buffer.alloc(1250), i });
    const seen: number[] = [];
    for (let t = 0; t < 500; t += PACING_WINDOW_MS) q.drain(t, (p) => seen.push(p.i));
    // 1,250 bytes/ms for ~500 ms is ~500 packets of 1,250 bytes, plus the first window.
    expect(seen.length).toBeGreaterThan(490);
    expect(seen.length).toBeLessThan(515);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('with the 40 ms burst interval sends a delta frame at once and spreads a key frame', () => {
    const q = new PacedQueue<{ payload: Buffer }>(bytesPerMs, LIBWEBRTC_BURST_INTERVAL_MS);
    for (let i = 0; i < 14; i++) q.push(packet(1200));
    let n = 0;
    q.drain(0, () => n++);
    expect(n).toBe(14);
    // A key frame eight times larger: what fits in 40 ms of the pacing rate at once, then the rest.
    for (let i = 0; i < 112; i++) q.push(packet(1200));
    let first = 0;
    q.drain(1, () => first++);
    expect(first).toBeGreaterThan(20);
    expect(first).toBeLessThan(112);
    let rest = 0;
    for (let t = 5; t <= 200 && q.length > 0; t += 5) q.drain(t, () => rest++);
    expect(first + rest).toBe(112);
  });

  it('does not save budget across an idle gap (no burst after silence)', () => {
    const q = new PacedQueue<{ payload: Buffer }>(bytesPerMs, PACING_WINDOW_MS);
    q.drain(0, () => undefined);
    for (let i = 0; i < 30; i++) q.push(packet(1200));
    let n = 0;
    q.drain(1000, () => n++);
    expect(n).toBe(Math.ceil((bytesPerMs * PACING_WINDOW_MS) / 1200));
  });
});
