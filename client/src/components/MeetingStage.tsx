import { createEffect, createMemo, createSignal, For, onCleanup, onMount, Show, type JSX } from 'solid-js';
import type { TileModel } from '../meeting/tiles.js';
import { computeLayout } from '../rtc/grid.js';
import type { TileView } from '../rtc/layers.js';
import { VideoTile } from './VideoTile.js';

export interface StageProps {
  tiles: readonly TileModel<MediaStream>[];
  /** The tile on stage, or null for the grid. */
  stage: string | null;
  pinned: string | null;
  onPin: (id: string) => void;
  isSpeaking: (participantSid: string) => boolean;
  qualityOf: (participantSid: string) => string | undefined;
  /** A remote video's displayed size and visibility (adaptive stream). */
  onView: (trackSid: string, view: TileView) => void;
}

/**
 * The grid, or the stage with its filmstrip. Every tile is one component for as long as it exists,
 * keyed by its id: a layout change (pin, share, a new page) moves the tile instead of rebuilding it, so
 * its video keeps playing, and its props stay live because they are read from the current tile list.
 */
export function MeetingStage(props: StageProps): JSX.Element {
  let box!: HTMLDivElement;
  const [size, setSize] = createSignal({ width: 0, height: 0 });
  const [page, setPage] = createSignal(0);

  onMount(() => {
    const ro = new ResizeObserver(([e]) => {
      if (e) setSize({ width: Math.floor(e.contentRect.width), height: Math.floor(e.contentRect.height) });
    });
    ro.observe(box);
    onCleanup(() => ro.disconnect());
  });

  const ids = createMemo(() => props.tiles.map((t) => t.id), [], {
    equals: (a, b) => a.length === b.length && a.every((id, i) => id === b[i]),
  });
  const byId = createMemo(() => new Map(props.tiles.map((t) => [t.id, t])));
  const layout = createMemo(() => computeLayout({ tiles: ids(), stage: props.stage, ...size() }, page()));

  return (
    <div
      class="stage"
      ref={box}
      classList={{ 'stage-mode': layout().mode === 'stage' }}
      role="region"
      aria-label="Videos"
    >
      <For each={ids()}>
        {(id) => {
          const tile = () => byId().get(id);
          // The camera track may be announced after the tile appeared: its sid then gets the last view.
          let lastView: TileView | null = null;
          const trackSid = createMemo(() => tile()?.trackSid ?? null);
          createEffect(() => {
            const sid = trackSid();
            if (sid !== null && lastView !== null) props.onView(sid, lastView);
          });
          return (
            <Show when={tile()}>
              {(t) => (
                <VideoTile
                  stream={t().stream}
                  name={t().name}
                  mirror={t().local && t().source === 'camera'}
                  mic={t().mic}
                  videoOff={t().videoOff}
                  source={t().source}
                  speaking={t().participantSid !== '' && props.isSpeaking(t().participantSid)}
                  quality={t().local ? undefined : props.qualityOf(t().participantSid)}
                  pinned={props.pinned === id}
                  // Alone on the stage there is nothing to pin a tile above; a pin already set can be undone.
                  onPin={ids().length > 1 || props.pinned === id ? () => props.onPin(id) : undefined}
                  onView={(v) => {
                    lastView = v;
                    const sid = trackSid();
                    if (sid !== null) props.onView(sid, v);
                  }}
                  rect={layout().rects[id]}
                />
              )}
            </Show>
          );
        }}
      </For>
      <Show when={layout().pager}>
        {(r) => (
          <div
            class="pager"
            style={{
              left: `${r().x}px`,
              top: `${r().y}px`,
              width: `${r().width}px`,
              height: `${r().height}px`,
            }}
          >
            <button
              type="button"
              class="small"
              disabled={layout().page === 0}
              onClick={() => setPage(layout().page - 1)}
            >
              Previous page
            </button>
            <span class="small">
              Page {layout().page + 1} of {layout().pages}
            </span>
            <button
              type="button"
              class="small"
              disabled={layout().page >= layout().pages - 1}
              onClick={() => setPage(layout().page + 1)}
            >
              Next page
            </button>
          </div>
        )}
      </Show>
    </div>
  );
}
