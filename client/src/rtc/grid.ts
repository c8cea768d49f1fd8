// Layout maths of the meeting stage. Pure: the stage box and the tile ids in, one rectangle per tile
// shown out (CSS pixels, relative to the stage). The page positions tiles absolutely from these, so
// no two tiles can overlap and none can leave the stage, whatever the CSS around them does.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Space between tiles. */
export const GAP = 8;
/** Height of the row that holds the page buttons when the tiles do not fit on one page. */
export const PAGER_HEIGHT = 40;
/** Below this a grid tile is too small to recognise anyone: further tiles go to another page. */
export const MIN_TILE_WIDTH = 80;
export const MIN_TILE_HEIGHT = 60;
/** Tiles have the shape of a camera picture, so a camera fills its tile without being cropped. */
export const TILE_ASPECT = 16 / 9;

export interface GridFit {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/**
 * The column count that gives the largest tiles for `count` tiles in a width x height box. Every tile is
 * 16:9 (as in Meet's grid): a camera shows whole, and a picture of another shape is letterboxed inside its
 * tile rather than cropped.
 */
export function fitGrid(count: number, width: number, height: number, gap = GAP): GridFit {
  if (count <= 0 || width <= 0 || height <= 0) return { columns: 1, rows: 0, tileWidth: 0, tileHeight: 0 };
  let best: GridFit = { columns: 1, rows: count, tileWidth: 0, tileHeight: 0 };
  let bestArea = 0;
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    const cellW = Math.floor((width - gap * (columns - 1)) / columns);
    const cellH = Math.floor((height - gap * (rows - 1)) / rows);
    if (cellW <= 0 || cellH <= 0) continue;
    const tileWidth = Math.min(cellW, Math.floor(cellH * TILE_ASPECT));
    const tileHeight = Math.floor(tileWidth / TILE_ASPECT);
    if (tileHeight <= 0) continue;
    const area = tileWidth * tileHeight;
    // Strictly larger wins, so among equals the fewest columns (the squarest grid) stays.
    if (area > bestArea) {
      bestArea = area;
      best = { columns, rows, tileWidth, tileHeight };
    }
  }
  return best;
}

/** Rectangles of a grid inside `box`: rows centred vertically, each row (the last may be short) centred. */
export function gridRects(ids: readonly string[], box: Rect, gap = GAP): Record<string, Rect> {
  const fit = fitGrid(ids.length, box.width, box.height, gap);
  const out: Record<string, Rect> = {};
  if (fit.tileWidth <= 0) return out;
  const usedH = fit.rows * fit.tileHeight + (fit.rows - 1) * gap;
  const top = box.y + Math.floor((box.height - usedH) / 2);
  ids.forEach((id, i) => {
    const row = Math.floor(i / fit.columns);
    const inRow = Math.min(fit.columns, ids.length - row * fit.columns);
    const rowW = inRow * fit.tileWidth + (inRow - 1) * gap;
    const left = box.x + Math.floor((box.width - rowW) / 2);
    out[id] = {
      x: left + (i % fit.columns) * (fit.tileWidth + gap),
      y: top + row * (fit.tileHeight + gap),
      width: fit.tileWidth,
      height: fit.tileHeight,
    };
  });
  return out;
}

/** How many grid tiles fit in a box without any going below the minimum size (at least one). */
export function tilesPerPage(width: number, height: number, gap = GAP): number {
  let n = 1;
  for (let count = 2; count <= 64; count++) {
    const f = fitGrid(count, width, height, gap);
    if (f.tileWidth >= MIN_TILE_WIDTH && f.tileHeight >= MIN_TILE_HEIGHT) n = count;
  }
  return n;
}

export type LayoutMode = 'grid' | 'stage';

export interface LayoutInput {
  /** Ids of all tiles, in display order. */
  tiles: readonly string[];
  /** The tile on stage (pinned, a screen share, or the speaker), or null for the grid. */
  stage: string | null;
  /** The stage box. */
  width: number;
  height: number;
}

export interface Layout {
  mode: LayoutMode;
  stage: string | null;
  /** Where each tile of the current page goes (the stage tile included); tiles not here are hidden. */
  rects: Record<string, Rect>;
  /** Where the filmstrip sits in stage mode: beside the stage on wide boxes, below it on narrow ones. */
  strip: 'side' | 'bottom' | null;
  page: number;
  pages: number;
  /** Where the page buttons go when there is more than one page. */
  pager: Rect | null;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

function paged<T>(items: readonly T[], perPage: number, page: number) {
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const p = clamp(Math.floor(page), 0, pages - 1);
  return { pages, page: p, shown: items.slice(p * perPage, (p + 1) * perPage) };
}

/**
 * Grid when nobody is on stage. Otherwise the stage tile gets most of the box and the others sit in a
 * filmstrip: a column on the right of a wide box, a row under a narrow (portrait) one.
 */
export function computeLayout(input: LayoutInput, page = 0): Layout {
  const width = Math.max(0, Math.floor(input.width));
  const height = Math.max(0, Math.floor(input.height));
  if (input.stage !== null && input.tiles.includes(input.stage)) {
    const rest = input.tiles.filter((t) => t !== input.stage);
    return stageLayout(input.stage, rest, width, height, page);
  }
  let perPage = tilesPerPage(width, height);
  let gridH = height;
  if (input.tiles.length > perPage) {
    gridH = Math.max(0, height - PAGER_HEIGHT - GAP);
    perPage = tilesPerPage(width, gridH);
  }
  const p = paged(input.tiles, perPage, page);
  return {
    mode: 'grid',
    stage: null,
    rects: gridRects(p.shown, { x: 0, y: 0, width, height: gridH }),
    strip: null,
    page: p.page,
    pages: p.pages,
    pager: p.pages > 1 ? { x: 0, y: height - PAGER_HEIGHT, width, height: PAGER_HEIGHT } : null,
  };
}

function stageLayout(
  stage: string,
  rest: readonly string[],
  width: number,
  height: number,
  page: number,
): Layout {
  if (rest.length === 0) {
    return {
      mode: 'stage',
      stage,
      rects: { [stage]: { x: 0, y: 0, width, height } },
      strip: null,
      page: 0,
      pages: 1,
      pager: null,
    };
  }
  const side = width >= 560 && width >= height;
  if (side) {
    const stripW = clamp(Math.round(width * 0.2), 160, 320);
    const fullH = Math.floor((stripW * 9) / 16);
    const capacity = (h: number, tileH: number) => Math.max(1, Math.floor((h + GAP) / (tileH + GAP)));
    let stripH = height;
    if (rest.length > capacity(height, Math.min(fullH, height))) {
      stripH = Math.max(1, height - PAGER_HEIGHT - GAP);
    }
    // A strip lower than one tile gets smaller tiles rather than tiles that spill out.
    const tileH = Math.min(fullH, stripH);
    const tileW = tileH === fullH ? stripW : Math.floor((tileH * 16) / 9);
    const perPage = capacity(stripH, tileH);
    const p = paged(rest, perPage, page);
    const stripX = width - stripW;
    const usedH = p.shown.length * tileH + (p.shown.length - 1) * GAP;
    const top = Math.floor((stripH - usedH) / 2);
    const rects: Record<string, Rect> = { [stage]: { x: 0, y: 0, width: stripX - GAP, height } };
    p.shown.forEach((id, i) => {
      rects[id] = {
        x: stripX + Math.floor((stripW - tileW) / 2),
        y: top + i * (tileH + GAP),
        width: tileW,
        height: tileH,
      };
    });
    return {
      mode: 'stage',
      stage,
      rects,
      strip: 'side',
      page: p.page,
      pages: p.pages,
      pager:
        p.pages > 1 ? { x: stripX, y: height - PAGER_HEIGHT, width: stripW, height: PAGER_HEIGHT } : null,
    };
  }
  // Below a narrow stage: 16:9 tiles in one row.
  let tileH = clamp(Math.round(height * 0.13), 54, 90);
  let tileW = Math.round(tileH * TILE_ASPECT);
  if (tileW > width) {
    tileW = width;
    tileH = Math.floor(width / TILE_ASPECT);
  }
  const capacity = Math.max(1, Math.floor((width + GAP) / (tileW + GAP)));
  const p = paged(rest, capacity, page);
  const pagerSpace = p.pages > 1 ? PAGER_HEIGHT + GAP : 0;
  const stripY = height - pagerSpace - tileH;
  const usedW = p.shown.length * tileW + (p.shown.length - 1) * GAP;
  const left = Math.floor((width - usedW) / 2);
  const rects: Record<string, Rect> = {
    [stage]: { x: 0, y: 0, width, height: Math.max(0, stripY - GAP) },
  };
  p.shown.forEach((id, i) => {
    rects[id] = { x: left + i * (tileW + GAP), y: stripY, width: tileW, height: tileH };
  });
  return {
    mode: 'stage',
    stage,
    rects,
    strip: 'bottom',
    page: p.page,
    pages: p.pages,
    pager: p.pages > 1 ? { x: 0, y: height - PAGER_HEIGHT, width, height: PAGER_HEIGHT } : null,
  };
}
