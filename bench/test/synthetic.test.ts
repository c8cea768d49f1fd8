import { describe, expect, it } from 'vitest';
import { AudioSource } from '../src/media/synthetic.js';

describe('AudioSource', () => {
  const profile = { pps: 50, bytes: 120 };
  const run = (seed: number) => {
    const s = new AudioSource(profile, seed);
    return Array.from({ length: 200 }, () => s.packet().payload.length);
  };

  it('varies its packet sizes within a quarter of the profile, as Opus does', () => {
    const lengths = run(3);
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(90);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(150);
    // Streams of the same rate are told apart on the wire by their sizes: no long runs of one size.
    expect(new Set(lengths).size).toBeGreaterThan(40);
  });

  it('gives each seed its own sequence of sizes, the same on every run', () => {
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it('writes an Opus TOC byte first', () => {
    expect(new AudioSource(profile, 5).packet().payload[0]).toBe(0x78);
  });
});
