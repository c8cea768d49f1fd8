import { createEffect, onCleanup, onMount, Show, type JSX } from 'solid-js';
import type { TileView } from '../rtc/layers.js';

export interface TileProps {
  id: string;
  stream: MediaStream | null;
  name: string;
  /** Mirrored local camera preview. */
  mirror?: boolean;
  muted?: boolean;
  speaking?: boolean;
  quality?: string | undefined;
  source: 'camera' | 'screen';
  pinned?: boolean;
  onPin?: () => void;
  /** Called with the tile's visibility and size (drives the layer the SFU sends, and pausing). */
  onView?: (view: TileView) => void;
  style?: JSX.CSSProperties;
  badge?: string;
}

/** One video in the grid; reports its size and visibility through onView. */
export function VideoTile(props: TileProps): JSX.Element {
  let root!: HTMLDivElement;
  let video!: HTMLVideoElement;
  let visible = true;
  let width = 0;
  let height = 0;
  const report = () => props.onView?.({ visible: visible && !document.hidden, width, height });

  createEffect(() => {
    const s = props.stream;
    if (video.srcObject !== s) video.srcObject = s;
    if (s !== null) void video.play().catch(() => undefined);
  });

  onMount(() => {
    const io = new IntersectionObserver((entries) => {
      for (const e of entries) visible = e.isIntersecting;
      report();
    });
    const ro = new ResizeObserver((entries) => {
      for (const e of entries) {
        width = e.contentRect.width;
        height = e.contentRect.height;
      }
      report();
    });
    const onVisibility = () => report();
    io.observe(root);
    ro.observe(root);
    document.addEventListener('visibilitychange', onVisibility);
    onCleanup(() => {
      io.disconnect();
      ro.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      props.onView?.({ visible: false, width: 0, height: 0 });
    });
  });

  return (
    <div
      ref={root}
      class="tile"
      classList={{
        speaking: props.speaking === true,
        screen: props.source === 'screen',
        pinned: props.pinned === true,
      }}
      style={props.style}
      data-tile={props.id}
      data-name={props.name}
      data-source={props.source}
      role="group"
      aria-label={`${props.name}${props.source === 'screen' ? ', screen' : ''}${props.speaking ? ', speaking' : ''}`}
    >
      <video ref={video} autoplay playsinline muted classList={{ mirror: props.mirror === true }} />
      <Show when={props.stream === null}>
        <div class="avatar" aria-hidden="true">
          {initials(props.name)}
        </div>
      </Show>
      <div class="tile-bar">
        <span class="tile-name">{props.name}</span>
        <Show when={props.muted}>
          <span class="tag" data-state="muted">
            Muted
          </span>
        </Show>
        <Show when={props.badge}>
          <span class="tag">{props.badge}</span>
        </Show>
        <Show when={props.quality}>
          <span class="tag quality" data-quality={props.quality} title="Connection quality">
            {props.quality}
          </span>
        </Show>
      </div>
      <Show when={props.onPin}>
        <button
          type="button"
          class="pin small"
          onClick={() => props.onPin?.()}
          aria-pressed={props.pinned === true}
        >
          {props.pinned ? 'Unpin' : 'Pin'}
          <span class="sr-only"> {props.name}</span>
        </button>
      </Show>
    </div>
  );
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (
    (parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')
  ).toUpperCase();
}

/** Remote audio, played by hidden audio elements. */
export function AudioSink(props: { stream: MediaStream | null; sinkId?: string }): JSX.Element {
  let el!: HTMLAudioElement;
  createEffect(() => {
    if (el.srcObject !== props.stream) el.srcObject = props.stream;
    if (props.stream) void el.play().catch(() => undefined);
  });
  createEffect(() => {
    const id = props.sinkId;
    const a = el as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
    if (id && a.setSinkId) void a.setSinkId(id).catch(() => undefined);
  });
  return <audio ref={el} autoplay class="sr-only" />;
}
