// Simulcast publishing parameters and the choice of the layer that fits a tile. Pure.
import { VideoQuality } from '@origo/proto/signal';

export interface SimulcastLayer {
  rid: 'q' | 'h' | 'f';
  quality: VideoQuality;
  scaleResolutionDownBy: number;
  maxBitrate: number;
}

/** Chromium's q/h/f rids, lowest first, as the SFU expects them (ENVIRONMENT.md). */
export const CAMERA_LAYERS: readonly SimulcastLayer[] = [
  { rid: 'q', quality: VideoQuality.VIDEO_QUALITY_LOW, scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', quality: VideoQuality.VIDEO_QUALITY_MEDIUM, scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', quality: VideoQuality.VIDEO_QUALITY_HIGH, scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/** sendEncodings for addTransceiver, from CAMERA_LAYERS. */
export function cameraEncodings(): RTCRtpEncodingParameters[] {
  return CAMERA_LAYERS.map((l) => ({
    rid: l.rid,
    scaleResolutionDownBy: l.scaleResolutionDownBy,
    maxBitrate: l.maxBitrate,
  }));
}

/** The layers announced in add_track for a camera captured at width x height. */
export function announcedLayers(
  width: number,
  height: number,
): { rid: string; quality: VideoQuality; maxWidth: number; maxHeight: number; maxBitrate: number }[] {
  return CAMERA_LAYERS.map((l) => ({
    rid: l.rid,
    quality: l.quality,
    maxWidth: Math.round(width / l.scaleResolutionDownBy),
    maxHeight: Math.round(height / l.scaleResolutionDownBy),
    maxBitrate: l.maxBitrate,
  }));
}

/** How the video fills its tile: scaled to fit inside (letterboxed) or to cover it (cropped). */
export type TileFit = 'contain' | 'cover';

/** How far (relative) a picture's shape may differ from its tile's and still be drawn to cover it. */
export const COVER_TOLERANCE = 0.02;

/**
 * `cover` only when the picture already has the tile's shape (within COVER_TOLERANCE, which hides a
 * rounding pixel and crops nothing anyone would miss); otherwise `contain`, so a presentation, a portrait
 * phone camera or a camera on the stage is shown whole. Unknown sizes are shown whole too.
 */
export function videoFit(
  tileWidth: number,
  tileHeight: number,
  videoWidth: number,
  videoHeight: number,
  source: 'camera' | 'screen',
): TileFit {
  if (source === 'screen' || tileWidth <= 0 || tileHeight <= 0 || videoWidth <= 0 || videoHeight <= 0)
    return 'contain';
  const video = videoWidth / videoHeight;
  return Math.abs(tileWidth / tileHeight - video) / video <= COVER_TOLERANCE ? 'cover' : 'contain';
}

/**
 * The lowest quality whose height covers the tile. `sourceHeight` is the publisher's full height
 * (0 when unknown: assume 720p). A layer up to 25% smaller than the tile is still taken: upscaling by
 * that much is hard to see and saves a layer's worth of bandwidth.
 */
export function qualityForTile(
  tileWidth: number,
  tileHeight: number,
  devicePixelRatio: number,
  sourceWidth: number,
  sourceHeight: number,
  fit: TileFit = 'contain',
): VideoQuality {
  const srcH = sourceHeight > 0 ? sourceHeight : 720;
  const srcW = sourceWidth > 0 ? sourceWidth : Math.round((srcH * 16) / 9);
  const dpr = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? Math.min(devicePixelRatio, 2) : 1;
  // Letterboxed, the binding dimension decides what is needed; cropped to cover, the other one does.
  const scale =
    fit === 'cover'
      ? Math.max(tileWidth / srcW, tileHeight / srcH)
      : Math.min(tileWidth / srcW, tileHeight / srcH);
  const neededHeight = srcH * scale * dpr;
  for (const l of CAMERA_LAYERS) {
    if ((srcH / l.scaleResolutionDownBy) * 1.25 >= neededHeight) return l.quality;
  }
  return VideoQuality.VIDEO_QUALITY_HIGH;
}

export interface TileView {
  visible: boolean;
  width: number;
  height: number;
  /** Default `contain`; `cover` (see videoFit) needs the picture's other dimension. */
  fit?: TileFit;
}

export interface TrackSettings {
  paused: boolean;
  width: number;
  height: number;
  quality: VideoQuality;
}

export function settingsForTile(
  view: TileView,
  devicePixelRatio: number,
  sourceWidth: number,
  sourceHeight: number,
): TrackSettings {
  const width = Math.max(0, Math.round(view.width));
  const height = Math.max(0, Math.round(view.height));
  if (!view.visible || width === 0 || height === 0) {
    return { paused: true, width, height, quality: VideoQuality.VIDEO_QUALITY_LOW };
  }
  return {
    paused: false,
    width,
    height,
    quality: qualityForTile(width, height, devicePixelRatio, sourceWidth, sourceHeight, view.fit),
  };
}

/**
 * Whether new settings are worth a message: pause and quality changes always are; size changes only
 * when they move more than 20% (a resize drag would otherwise send a message per frame).
 */
export function settingsChanged(prev: TrackSettings | undefined, next: TrackSettings): boolean {
  if (prev === undefined) return true;
  if (prev.paused !== next.paused || prev.quality !== next.quality) return true;
  const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1, a, b);
  return rel(prev.width, next.width) > 0.2 || rel(prev.height, next.height) > 0.2;
}
