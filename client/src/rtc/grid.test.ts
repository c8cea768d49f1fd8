import { describe, expect, it } from 'vitest';
import {
  computeLayout,
  fitGrid,
  GAP,
  MIN_TILE_HEIGHT,
  MIN_TILE_WIDTH,
  tilesPerPage,
  type Layout,
  type Rect,
} from './grid.js';

/** Stage boxes of the three viewports (the window minus the title bar and the control bar). */
const STAGES = {
  'laptop 1280x720': { width: 1264, height: 600 },
  'desktop 1920x1080': { width: 1904, height: 960 },
  'phone 390x844': { width: 374, height: 690 },
  'laptop with the participants panel': { width: 936, height: 600 },
  'phone with the participants panel': { width: 374, height: 330 },
} as const;

const ids = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 'me' : `p${i}`));

const overlaps = (a: Rect, b: Rect) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** What is wrong with a layout: rectangles outside the box, empty, or overlapping another. */
function problems(l: Layout, width: number, height: number): string[] {
  const rects = Object.entries(l.rects);
  if (l.pager) rects.push(['pager', l.pager]);
  const out: string[] = [];
  for (const [id, r] of rects) {
    if (r.width <= 0 || r.height <= 0) out.push(`${id} is empty`);
    if (r.x < 0 || r.y < 0 || r.x + r.width > width || r.y + r.height > height)
      out.push(`${id} ${JSON.stringify(r)} leaves ${width}x${height}`);
  }
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++)
      if (overlaps(rects[i]![1], rects[j]![1])) out.push(`${rects[i]![0]} overlaps ${rects[j]![0]}`);
  return out;
}

function expectSound(l: Layout, width: number, height: number): void {
  expect(problems(l, width, height)).toEqual([]);
}

/** Every tile on exactly one page. */
function expectAllShownOnce(tiles: string[], stage: string | null, width: number, height: number): void {
  const first = computeLayout({ tiles, stage, width, height });
  const seen: string[] = [];
  for (let p = 0; p < first.pages; p++) {
    const l = computeLayout({ tiles, stage, width, height }, p);
    expectSound(l, width, height);
    seen.push(...Object.keys(l.rects).filter((id) => id !== stage));
  }
  expect(seen.sort()).toEqual(tiles.filter((t) => t !== stage).sort());
}

describe('grid', () => {
  for (const [name, box] of Object.entries(STAGES)) {
    it(`fits 1 to 25 people without overlap inside the stage on a ${name}`, () => {
      for (let n = 1; n <= 25; n++) {
        const tiles = ids(n);
        const l = computeLayout({ tiles, stage: null, ...box });
        expect(l.mode).toBe('grid');
        expectSound(l, box.width, box.height);
        expectAllShownOnce(tiles, null, box.width, box.height);
        for (const r of Object.values(l.rects)) {
          expect(r.width).toBeGreaterThanOrEqual(MIN_TILE_WIDTH);
          expect(r.height).toBeGreaterThanOrEqual(MIN_TILE_HEIGHT);
        }
      }
    });
  }

  it('shows all 25 people on one page at 1280x720, 1920x1080 and on a phone', () => {
    for (const name of ['laptop 1280x720', 'desktop 1920x1080', 'phone 390x844'] as const) {
      const l = computeLayout({ tiles: ids(25), stage: null, ...STAGES[name] });
      expect(l.pages, name).toBe(1);
      expect(Object.keys(l.rects)).toHaveLength(25);
    }
  });

  it('puts two people side by side on a laptop and one above the other on a phone', () => {
    const laptop = computeLayout({ tiles: ids(2), stage: null, ...STAGES['laptop 1280x720'] });
    expect(laptop.rects['me']!.y).toBe(laptop.rects['p1']!.y);
    expect(laptop.rects['me']!.width).toBe(laptop.rects['p1']!.width);
    const phone = computeLayout({ tiles: ids(2), stage: null, ...STAGES['phone 390x844'] });
    expect(phone.rects['me']!.x).toBe(phone.rects['p1']!.x);
    expect(phone.rects['p1']!.y).toBeGreaterThan(phone.rects['me']!.y);
  });

  it('centres a short last row', () => {
    const l = computeLayout({ tiles: ids(3), stage: null, width: 1600, height: 900 });
    const [a, b, c] = [l.rects['me']!, l.rects['p1']!, l.rects['p2']!];
    expect(a.y).toBe(b.y);
    expect(c.y).toBeGreaterThan(a.y);
    const rowCentre = (a.x + b.x + b.width) / 2;
    expect(Math.abs(c.x + c.width / 2 - rowCentre)).toBeLessThanOrEqual(1);
  });

  it('makes every grid tile 16:9 (a camera fills it uncropped), in landscape and portrait boxes', () => {
    for (const [name, box] of Object.entries(STAGES)) {
      for (let n = 1; n <= 25; n++) {
        for (const r of Object.values(computeLayout({ tiles: ids(n), stage: null, ...box }).rects)) {
          // Whole pixels: within one pixel of the exact 16:9 height.
          expect(Math.abs(r.height - (r.width * 9) / 16), `${name}, ${n} people`).toBeLessThan(1);
        }
      }
    }
    const g = fitGrid(4, 1600, 900, GAP);
    expect([g.columns, g.rows]).toEqual([2, 2]);
  });

  it('gives two people on a 1280x720 laptop tiles big enough for the 640x360 layer', () => {
    const l = computeLayout({ tiles: ids(2), stage: null, ...STAGES['laptop 1280x720'] });
    expect(l.rects['p1']!.width).toBeGreaterThanOrEqual(600);
  });

  it('pages tiles that would fall below the minimum size, with the pager inside the stage', () => {
    const tiles = ids(60);
    const l = computeLayout({ tiles, stage: null, width: 374, height: 330 }, 99);
    expect(l.pages).toBeGreaterThan(1);
    expect(l.page).toBe(l.pages - 1);
    expect(l.pager).not.toBeNull();
    expectAllShownOnce(tiles, null, 374, 330);
    expect(tilesPerPage(100, 100)).toBe(1);
  });

  it('holds for any stage size from a small phone to a wide monitor', () => {
    const found: string[] = [];
    for (let width = 240; width <= 2560; width += 173) {
      for (let height = 200; height <= 1440; height += 157) {
        for (const n of [1, 2, 3, 5, 8, 13, 25, 40]) {
          const tiles = ids(n);
          found.push(...problems(computeLayout({ tiles, stage: null, width, height }), width, height));
          found.push(
            ...problems(computeLayout({ tiles, stage: tiles[n - 1]!, width, height }), width, height),
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('empty or zero-size boxes give no tiles', () => {
    expect(fitGrid(0, 100, 100).tileWidth).toBe(0);
    expect(fitGrid(3, 0, 100).tileWidth).toBe(0);
    expect(computeLayout({ tiles: [], stage: null, width: 800, height: 600 }).rects).toEqual({});
  });
});

describe('stage and filmstrip', () => {
  for (const [name, box] of Object.entries(STAGES)) {
    it(`keeps the stage and the filmstrip apart and inside the stage on a ${name}, 2 to 25 people`, () => {
      for (let n = 2; n <= 25; n++) {
        const tiles = [...ids(n), 'screen'];
        const l = computeLayout({ tiles, stage: 'screen', ...box });
        expect(l.mode).toBe('stage');
        expectSound(l, box.width, box.height);
        expectAllShownOnce(tiles, 'screen', box.width, box.height);
        // The stage tile is the biggest on screen.
        const stage = l.rects['screen']!;
        for (const [id, r] of Object.entries(l.rects))
          if (id !== 'screen') expect(r.width * r.height).toBeLessThan(stage.width * stage.height);
      }
    });
  }

  it('makes filmstrip tiles 16:9, beside the stage and under it', () => {
    const tiles = ['me', 'a', 'b', 'screen'];
    for (const name of ['laptop 1280x720', 'phone 390x844'] as const) {
      const l = computeLayout({ tiles, stage: 'screen', ...STAGES[name] });
      for (const id of ['me', 'a', 'b']) {
        const r = l.rects[id];
        if (r === undefined) continue;
        expect(Math.abs(r.height - (r.width * 9) / 16), `${name} ${id}`).toBeLessThan(1);
      }
    }
  });

  it('puts the filmstrip beside the stage on a laptop and under it on a phone', () => {
    const tiles = ['me', 'a', 'screen'];
    const laptop = computeLayout({ tiles, stage: 'screen', ...STAGES['laptop 1280x720'] });
    expect(laptop.strip).toBe('side');
    expect(laptop.rects['me']!.x).toBeGreaterThan(laptop.rects['screen']!.width);
    const phone = computeLayout({ tiles, stage: 'screen', ...STAGES['phone 390x844'] });
    expect(phone.strip).toBe('bottom');
    expect(phone.rects['me']!.y).toBeGreaterThan(phone.rects['screen']!.height);
  });

  it('gives the whole stage to the stage tile when nobody else is there', () => {
    const l = computeLayout({ tiles: ['me'], stage: 'me', width: 800, height: 600 });
    expect(l.rects['me']).toEqual({ x: 0, y: 0, width: 800, height: 600 });
  });

  it('ignores a stage id that is not a tile', () => {
    expect(computeLayout({ tiles: ids(4), stage: 'gone', width: 800, height: 600 }).mode).toBe('grid');
  });
});
