import { describe, expect, it } from 'vitest';
import { computeLayout, fitGrid, tilesPerPage } from './grid.js';

describe('grid fit', () => {
  it('one tile fills the width of a 16:9 box', () => {
    expect(fitGrid(1, 1600, 900, 16 / 9, 0)).toEqual({
      columns: 1,
      rows: 1,
      tileWidth: 1600,
      tileHeight: 900,
    });
  });

  it('two tiles sit side by side on a wide screen and stack on a phone', () => {
    expect(fitGrid(2, 1600, 900).columns).toBe(2);
    expect(fitGrid(2, 375, 600).columns).toBe(1);
  });

  it('four tiles make a 2x2 grid on 16:9', () => {
    const f = fitGrid(4, 1600, 900, 16 / 9, 8);
    expect([f.columns, f.rows]).toEqual([2, 2]);
    // Height binds: (900 - 8) / 2 = 446 px high, so 792 px wide.
    expect(f.tileWidth).toBe(792);
  });

  it('never overflows the box', () => {
    for (let n = 1; n <= 25; n++) {
      for (const [w, h] of [
        [1600, 900],
        [375, 560],
        [1024, 1366],
      ] as const) {
        const f = fitGrid(n, w, h);
        expect(f.columns * f.tileWidth + (f.columns - 1) * 8).toBeLessThanOrEqual(w);
        expect(f.rows * f.tileHeight + (f.rows - 1) * 8).toBeLessThanOrEqual(h);
        expect(f.columns * f.rows).toBeGreaterThanOrEqual(n);
      }
    }
  });

  it('empty or zero-size boxes give no tiles', () => {
    expect(fitGrid(0, 100, 100).tileWidth).toBe(0);
    expect(fitGrid(3, 0, 100).tileWidth).toBe(0);
  });

  it('pages tiles on small screens', () => {
    expect(tilesPerPage(375, 560)).toBeLessThan(tilesPerPage(1600, 900));
    expect(tilesPerPage(100, 100)).toBe(1);
  });
});

describe('layout', () => {
  const tiles = ['me', 'a', 'b', 'c'];

  it('uses the grid when nobody is on stage', () => {
    const l = computeLayout({ tiles, stage: null, width: 1600, height: 900, narrow: false });
    expect(l.mode).toBe('grid');
    expect(l.tiles).toEqual(tiles);
  });

  it('puts the pinned tile on stage and the others in the filmstrip', () => {
    const l = computeLayout({ tiles, stage: 'b', width: 1600, height: 900, narrow: false });
    expect(l.mode).toBe('stage');
    expect(l.stage).toBe('b');
    expect(l.tiles).toEqual(['me', 'a', 'c']);
  });

  it('ignores a stage id that is not a tile', () => {
    expect(computeLayout({ tiles, stage: 'gone', width: 800, height: 600, narrow: false }).mode).toBe('grid');
  });

  it('clamps the page number', () => {
    const many = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const l = computeLayout({ tiles: many, stage: null, width: 375, height: 560, narrow: true }, 99);
    expect(l.pages).toBeGreaterThan(1);
    expect(l.tiles.at(-1)).toBe('t39');
  });
});
