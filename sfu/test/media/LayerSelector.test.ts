import { describe, expect, it } from 'vitest';
import { LayerSelector, type LayerInfo } from '../../src/media/LayerSelector.js';

const L = (width: number, height: number, kbps: number, active = true): LayerInfo => ({
  width,
  height,
  bitrateBps: kbps * 1000,
  active,
});
const three = (): LayerInfo[] => [L(320, 180, 150), L(640, 360, 500), L(1280, 720, 1500)];

describe('LayerSelector', () => {
  it('defaults to the highest active layer', () => {
    expect(new LayerSelector().select(three(), -1)).toBe(2);
  });

  it('picks the smallest layer covering the requested size', () => {
    const s = new LayerSelector();
    s.setRequest({ width: 160, height: 90 }, false);
    expect(s.select(three(), -1)).toBe(0);
    s.setRequest({ width: 600, height: 340 }, false); // within 10% slack of 640x360
    expect(s.select(three(), -1)).toBe(1);
    s.setRequest({ width: 1920, height: 1080 }, false);
    expect(s.select(three(), -1)).toBe(2);
  });

  it('maps a quality request to the nearest active layer at or below it', () => {
    const s = new LayerSelector();
    const layers = [L(320, 180, 150), L(640, 360, 500, false), L(1280, 720, 1500, false)];
    s.setRequest({ quality: 2 }, false);
    expect(s.select(layers, -1)).toBe(0);
    s.setRequest({ quality: 1 }, false);
    expect(s.select(three(), -1)).toBe(1);
  });

  it('starts low while layer sizes are unknown', () => {
    const s = new LayerSelector();
    s.setRequest({ width: 1280, height: 720 }, false);
    expect(s.select([L(0, 0, 100), L(0, 0, 300)], -1)).toBe(0);
  });

  it('returns -1 when paused or when nothing is active', () => {
    const s = new LayerSelector();
    s.setRequest({ quality: 2 }, true);
    expect(s.select(three(), 2)).toBe(-1);
    s.setRequest({ quality: 2 }, false);
    expect(s.select([L(320, 180, 100, false)], -1)).toBe(-1);
  });

  it('caps by bandwidth, and needs headroom to go up (no flapping)', () => {
    const s = new LayerSelector({ upHeadroom: 1.25 });
    s.setBandwidth(550_000);
    // Staying on layer 1 (500 kbps) is fine at 550 kbps ...
    expect(s.select(three(), 1)).toBe(1);
    // ... but coming up to it from layer 0 needs 625 kbps.
    expect(s.select(three(), 0)).toBe(0);
    s.setBandwidth(100_000);
    // Never below the lowest active layer.
    expect(s.select(three(), 2)).toBe(0);
    s.setBandwidth(0);
    expect(s.select(three(), 0)).toBe(2);
  });

  it('names the layer to ask a publisher for, including layers it paused (dynacast)', () => {
    const s = new LayerSelector();
    // Only q arrives: h and f were paused while nobody watched.
    const paused = [L(320, 180, 150), L(640, 360, 0, false), L(1280, 720, 0, false)];
    s.setRequest({ quality: 2 }, false);
    expect(s.select(paused, -1)).toBe(0);
    expect(s.desired(paused, 3)).toBe(2);
    s.setRequest({ quality: 1 }, false);
    expect(s.desired(paused, 3)).toBe(1);
    s.setRequest({ quality: 2 }, false);
    expect(s.desired(paused, 2)).toBe(1);
    // By size: sizes seen before, else twice the layer below; all layers while nothing is known.
    s.setRequest({ width: 600, height: 340 }, false);
    expect(s.desired(paused, 3)).toBe(1);
    expect(s.desired([L(320, 180, 150)], 3)).toBe(1);
    s.setRequest({ width: 1200, height: 680 }, false);
    expect(s.desired([L(320, 180, 150)], 3)).toBe(2);
    expect(s.desired([L(0, 0, 0, false)], 3)).toBe(2);
    s.setRequest({ width: 160, height: 90 }, false);
    expect(s.desired(paused, 3)).toBe(0);
    s.setRequest({ quality: 2 }, true);
    expect(s.desired(paused, 3)).toBe(-1);
  });
});
