import { describe, expect, it } from 'vitest';
import { SpeakerDetector } from '../../src/media/SpeakerDetector.js';

function feed(d: SpeakerDetector, slot: number, level: number, n = 15): void {
  for (let i = 0; i < n; i++) d.addLevel(slot, level);
}

describe('SpeakerDetector', () => {
  it('activates a loud source after the hold and orders by loudness', () => {
    const d = new SpeakerDetector({ holdTicks: 2, smoothing: 1 });
    const a = d.register('a');
    const b = d.register('b');
    const c = d.register('c');
    feed(d, a, 20);
    feed(d, b, 10);
    feed(d, c, 127);
    expect(d.tick()).toBe(false); // one tick is not enough
    feed(d, a, 20);
    feed(d, b, 10);
    feed(d, c, 127);
    expect(d.tick()).toBe(true);
    expect(d.speakers.map((s) => s.key)).toEqual(['b', 'a']);
  });

  it('keeps a speaker through a short dip (hysteresis) and drops it after silence', () => {
    const d = new SpeakerDetector({ holdTicks: 2, smoothing: 0.5 });
    const a = d.register('a');
    for (let i = 0; i < 6; i++) {
      feed(d, a, 10);
      d.tick();
    }
    expect(d.speakers.map((s) => s.key)).toEqual(['a']);
    // One quiet window: smoothed loudness stays above the deactivate threshold.
    feed(d, a, 90);
    expect(d.tick()).toBe(false);
    expect(d.speakers.length).toBe(1);
    let changed = false;
    for (let i = 0; i < 10 && !changed; i++) {
      feed(d, a, 127);
      changed = d.tick();
    }
    expect(changed).toBe(true);
    expect(d.speakers).toEqual([]);
  });

  it('counts a source with no packets as silent, and ignores unknown slots', () => {
    const d = new SpeakerDetector({ holdTicks: 1, smoothing: 1 });
    const a = d.register('a');
    feed(d, a, 0);
    expect(d.tick()).toBe(true);
    d.addLevel(99, 0);
    d.addLevel(-1, 0);
    expect(d.tick()).toBe(true);
    expect(d.speakers).toEqual([]);
  });

  it('reuses slots of unregistered sources and grows past its initial capacity', () => {
    const d = new SpeakerDetector({ holdTicks: 1, smoothing: 1, maxSpeakers: 20 });
    const slots = Array.from({ length: 12 }, (_, i) => d.register(`s${i}`));
    expect(new Set(slots).size).toBe(12);
    d.unregister(slots[3]!);
    expect(d.register('again')).toBe(slots[3]);
    for (const s of slots) feed(d, s, 5);
    d.tick();
    expect(d.speakers.length).toBe(12);
  });
});
