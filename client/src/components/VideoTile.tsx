import { createEffect, createSignal, onCleanup, onMount, Show, type JSX } from 'solid-js';
import type { Rect } from '../rtc/grid.js';
import { videoFit, type TileFit, type TileView } from '../rtc/layers.js';

export interface TileProps {
  stream: MediaStream | null;
  name: string;
  /** Mirrored local camera preview. */
  mirror?: boolean;
  mic: 'muted' | 'live' | 'none';
  /** The camera is off: show the avatar whatever the video element holds. */
  videoOff: boolean;
  speaking?: boolean;
  quality?: string | undefined;
  source: 'camera' | 'screen';
  pinned?: boolean;
  onPin?: () => void;
  /** Called with the tile's visibility and size (drives the layer the SFU sends, and pausing). */
  onView?: (view: TileView) => void;
  /** Where the tile sits on the stage; undefined hides it (another page). */
  rect: Rect | undefined;
}

/**
 * One video on the stage. The video shows once a frame of the current stream was decoded and its track
 * is not muted; until then (and whenever the camera is off) the initials avatar covers it.
 */
export function VideoTile(props: TileProps): JSX.Element {
  let root!: HTMLDivElement;
  let video!: HTMLVideoElement;
  let visible = true;
  let width = 0;
  let height = 0;
  const [hasFrame, setHasFrame] = createSignal(false);
  const [trackMuted, setTrackMuted] = createSignal(false);
  const [picture, setPicture] = createSignal({ width: 0, height: 0 });
  const fit = (): TileFit =>
    videoFit(
      props.rect?.width ?? 0,
      props.rect?.height ?? 0,
      picture().width,
      picture().height,
      props.source,
    );
  const report = () => props.onView?.({ visible: visible && !document.hidden, width, height, fit: fit() });

  createEffect(() => {
    const stream = props.stream;
    if (video.srcObject !== stream) {
      video.srcObject = stream;
      setHasFrame(false);
    }
    const track = stream?.getVideoTracks()[0];
    // A received track starts muted and unmutes with its first packets; it mutes again if they stop.
    setTrackMuted(track?.muted ?? false);
    if (track !== undefined) {
      const onMute = () => setTrackMuted(true);
      const onUnmute = () => setTrackMuted(false);
      track.addEventListener('mute', onMute);
      track.addEventListener('unmute', onUnmute);
      onCleanup(() => {
        track.removeEventListener('mute', onMute);
        track.removeEventListener('unmute', onUnmute);
      });
    }
    if (stream === null) return;
    void video.play().catch(() => undefined);
    if (typeof video.requestVideoFrameCallback === 'function') {
      const handle = video.requestVideoFrameCallback(() => setHasFrame(true));
      onCleanup(() => video.cancelVideoFrameCallback(handle));
    } else {
      const onData = () => setHasFrame(true);
      video.addEventListener('loadeddata', onData, { once: true });
      onCleanup(() => video.removeEventListener('loadeddata', onData));
    }
  });

  const showVideo = () => props.stream !== null && !props.videoOff && hasFrame() && !trackMuted();

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
    // The picture's own size changes with the layer received and with a rotated phone camera.
    const onPicture = () => setPicture({ width: video.videoWidth, height: video.videoHeight });
    video.addEventListener('resize', onPicture);
    video.addEventListener('loadedmetadata', onPicture);
    io.observe(root);
    ro.observe(root);
    document.addEventListener('visibilitychange', onVisibility);
    onCleanup(() => {
      io.disconnect();
      ro.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
      video.removeEventListener('resize', onPicture);
      video.removeEventListener('loadedmetadata', onPicture);
      props.onView?.({ visible: false, width: 0, height: 0 });
    });
  });

  const style = (): JSX.CSSProperties => {
    const r = props.rect;
    if (r === undefined) return { display: 'none' };
    return { left: `${r.x}px`, top: `${r.y}px`, width: `${r.width}px`, height: `${r.height}px` };
  };

  return (
    <div
      ref={root}
      class="tile"
      classList={{
        speaking: props.speaking === true,
        screen: props.source === 'screen',
        pinned: props.pinned === true,
        small: (props.rect?.width ?? 0) < 160,
      }}
      style={style()}
      role="group"
      aria-label={props.name}
    >
      <video
        ref={video}
        autoplay
        playsinline
        muted
        classList={{ mirror: props.mirror === true }}
        style={{ 'object-fit': fit() }}
      />
      <Show when={!showVideo()}>
        <div class="avatar" classList={{ 'avatar-screen': props.source === 'screen' }} aria-hidden="true">
          {props.source === 'screen' ? 'Presentation starting' : initials(props.name)}
        </div>
      </Show>
      <div class="tile-bar">
        <span class="tile-name">{props.name}</span>
        <Show when={props.mic === 'muted'}>
          <span class="tag" data-state="muted">
            Muted
          </span>
        </Show>
        <Show when={props.quality}>
          <span class="tag quality" data-quality={props.quality}>
            {props.quality === 'Lost' ? 'Connection lost' : `${props.quality ?? ''} connection`}
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
  const parts = name
    .replace(/\(you\)$/, '')
    .trim()
    .split(/\s+/)
    .filter(Boolean);
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
