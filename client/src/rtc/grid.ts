// Layout math of the video grid. Pure: sizes in CSS pixels in, rows/columns/tile sizes out.

export interface GridFit {
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

/**
 * The column count that gives the largest tiles of the given aspect for `count` tiles in a box of
 * width x height with `gap` between tiles.
 */
export function fitGrid(count: number, width: number, height: number, aspect = 16 / 9, gap = 8): GridFit {
  if (count <= 0 || width <= 0 || height <= 0) return { columns: 1, rows: 0, tileWidth: 0, tileHeight: 0 };
  let best: GridFit = { columns: 1, rows: count, tileWidth: 0, tileHeight: 0 };
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    const cellW = (width - gap * (columns - 1)) / columns;
    const cellH = (height - gap * (rows - 1)) / rows;
    if (cellW <= 0 || cellH <= 0) continue;
    const tileWidth = Math.min(cellW, cellH * aspect);
    const tileHeight = tileWidth / aspect;
    if (tileWidth > best.tileWidth + 0.5) {
      best = { columns, rows, tileWidth: Math.floor(tileWidth), tileHeight: Math.floor(tileHeight) };
    }
  }
  return best;
}

/** How many tiles fit on one page without any going below minTileWidth (at least one). */
export function tilesPerPage(
  width: number,
  height: number,
  minTileWidth = 160,
  aspect = 16 / 9,
  gap = 8,
): number {
  let n = 1;
  for (let count = 2; count <= 49; count++) {
    if (fitGrid(count, width, height, aspect, gap).tileWidth >= minTileWidth) n = count;
  }
  return n;
}

export type LayoutMode = 'grid' | 'stage';

export interface LayoutInput {
  /** Ids of all tiles, in display order (local first). */
  tiles: readonly string[];
  /** Pinned (spotlight) tile id, or a screen share tile id that takes the stage. */
  stage: string | null;
  width: number;
  height: number;
  /** Narrow screens stack the filmstrip under the stage instead of beside it. */
  narrow: boolean;
}

export interface Layout {
  mode: LayoutMode;
  /** The big tile in stage mode. */
  stage: string | null;
  /** Tiles of the grid (grid mode) or of the filmstrip (stage mode) on the current page. */
  tiles: string[];
  fit: GridFit;
  pages: number;
}

/**
 * Grid when nobody is on stage; otherwise the stage gets most of the space and the others sit in a
 * filmstrip (a quarter of the space, beside it on wide screens, below on narrow ones).
 */
export function computeLayout(input: LayoutInput, page = 0): Layout {
  const { width, height } = input;
  if (input.stage !== null && input.tiles.includes(input.stage)) {
    const rest = input.tiles.filter((t) => t !== input.stage);
    const stripW = input.narrow ? width : Math.max(160, Math.floor(width * 0.22));
    const stripH = input.narrow ? Math.max(90, Math.floor(height * 0.25)) : height;
    const perPage = Math.max(1, input.narrow ? Math.floor(stripW / 168) : Math.floor(stripH / 98));
    const pages = Math.max(1, Math.ceil(rest.length / perPage));
    const p = Math.min(Math.max(0, page), pages - 1);
    const shown = rest.slice(p * perPage, (p + 1) * perPage);
    const fit = input.narrow
      ? fitGrid(Math.max(1, shown.length), stripW, stripH)
      : fitGrid(Math.max(1, shown.length), stripW, stripH, 16 / 9);
    return { mode: 'stage', stage: input.stage, tiles: shown, fit, pages };
  }
  const perPage = tilesPerPage(width, height);
  const pages = Math.max(1, Math.ceil(input.tiles.length / perPage));
  const p = Math.min(Math.max(0, page), pages - 1);
  const shown = input.tiles.slice(p * perPage, (p + 1) * perPage);
  return { mode: 'grid', stage: null, tiles: shown, fit: fitGrid(shown.length, width, height), pages };
}
