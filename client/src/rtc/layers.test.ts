import { VideoQuality } from '@origo/proto/signal';
import { describe, expect, it } from 'vitest';
import {
  announcedLayers,
  cameraEncodings,
  qualityForTile,
  settingsChanged,
  settingsForTile,
  videoFit,
} from './layers.js';

const { VIDEO_QUALITY_LOW: LOW, VIDEO_QUALITY_MEDIUM: MEDIUM, VIDEO_QUALITY_HIGH: HIGH } = VideoQuality;

describe('simulcast parameters', () => {
  it('publishes q/h/f at 1/4, 1/2 and full resolution', () => {
    expect(cameraEncodings().map((e) => [e.rid, e.scaleResolutionDownBy])).toEqual([
      ['q', 4],
      ['h', 2],
      ['f', 1],
    ]);
    expect(announcedLayers(1280, 720).map((l) => [l.rid, l.maxWidth, l.maxHeight])).toEqual([
      ['q', 320, 180],
      ['h', 640, 360],
      ['f', 1280, 720],
    ]);
  });
});

describe('layer choice from tile size', () => {
  it('takes the lowest layer that covers the tile', () => {
    expect(qualityForTile(160, 90, 1, 1280, 720)).toBe(LOW);
    expect(qualityForTile(320, 180, 1, 1280, 720)).toBe(LOW);
    expect(qualityForTile(480, 270, 1, 1280, 720)).toBe(MEDIUM);
    expect(qualityForTile(640, 360, 1, 1280, 720)).toBe(MEDIUM);
    expect(qualityForTile(1280, 720, 1, 1280, 720)).toBe(HIGH);
  });

  it('counts device pixels (capped at 2x)', () => {
    expect(qualityForTile(320, 180, 2, 1280, 720)).toBe(MEDIUM);
    expect(qualityForTile(640, 360, 3, 1280, 720)).toBe(HIGH);
  });

  it('uses the binding dimension of a letterboxed video', () => {
    // A tall phone tile: the width limits the picture to 480x270, not the 900 px of tile height.
    expect(qualityForTile(480, 900, 1, 1280, 720)).toBe(MEDIUM);
  });

  it('uses the other dimension when the video is cropped to cover the tile', () => {
    // A square 600 px tile shows a 720p camera 600 px high, its sides cut off: only the full layer is sharp.
    expect(qualityForTile(600, 600, 1, 1280, 720, 'contain')).toBe(MEDIUM);
    expect(qualityForTile(600, 600, 1, 1280, 720, 'cover')).toBe(HIGH);
    expect(qualityForTile(120, 120, 1, 1280, 720, 'cover')).toBe(LOW);
    expect(
      settingsForTile({ visible: true, width: 600, height: 600, fit: 'cover' }, 1, 1280, 720).quality,
    ).toBe(HIGH);
  });

  it('assumes 720p when the source size is unknown', () => {
    expect(qualityForTile(200, 112, 1, 0, 0)).toBe(LOW);
  });

  it('pauses hidden or zero-size tiles', () => {
    expect(settingsForTile({ visible: false, width: 640, height: 360 }, 1, 1280, 720).paused).toBe(true);
    expect(settingsForTile({ visible: true, width: 0, height: 0 }, 1, 1280, 720).paused).toBe(true);
    expect(settingsForTile({ visible: true, width: 640, height: 360 }, 1, 1280, 720)).toEqual({
      paused: false,
      width: 640,
      height: 360,
      quality: MEDIUM,
    });
  });

  it('sends updates only for meaningful changes', () => {
    const base = { paused: false, width: 640, height: 360, quality: MEDIUM };
    expect(settingsChanged(undefined, base)).toBe(true);
    expect(settingsChanged(base, { ...base, width: 660, height: 372 })).toBe(false);
    expect(settingsChanged(base, { ...base, width: 900, height: 506 })).toBe(true);
    expect(settingsChanged(base, { ...base, paused: true })).toBe(true);
    expect(settingsChanged(base, { ...base, quality: HIGH })).toBe(true);
  });
});

describe('how a video fills its tile', () => {
  it('covers only a tile of its own shape, so nothing is cropped', () => {
    expect(videoFit(636, 357, 1280, 720, 'camera')).toBe('cover');
    expect(videoFit(160, 90, 320, 180, 'camera')).toBe('cover');
    // A square or portrait tile, a portrait phone camera, a 4:3 webcam: shown whole.
    expect(videoFit(600, 600, 1280, 720, 'camera')).toBe('contain');
    expect(videoFit(640, 360, 720, 1280, 'camera')).toBe('contain');
    expect(videoFit(640, 360, 640, 480, 'camera')).toBe('contain');
  });

  it('never crops a presentation, and shows a picture of unknown size whole', () => {
    expect(videoFit(1280, 720, 1920, 1080, 'screen')).toBe('contain');
    expect(videoFit(636, 357, 0, 0, 'camera')).toBe('contain');
    expect(videoFit(0, 0, 1280, 720, 'camera')).toBe('contain');
  });
});
