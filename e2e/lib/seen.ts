// What a person sees on the meeting page, read from the page itself: tile boxes on screen, whether a
// tile's video is on top and advancing, whether remote audio carries sound. No internal hooks.
import type { Locator, Page } from 'playwright-core';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width - 0.5 &&
  b.x < a.x + a.width - 0.5 &&
  a.y < b.y + b.height - 0.5 &&
  b.y < a.y + a.height - 0.5;

export const videos = (page: Page): Locator => page.getByRole('region', { name: 'Videos' });
export const tile = (page: Page, name: string): Locator =>
  videos(page).getByRole('group', { name, exact: true });
export const controls = (page: Page): Locator => page.getByRole('navigation', { name: 'Meeting controls' });

/** Share of the picture a video may lose to its box before a person would call it cropped. */
const CROP_TOLERANCE = 0.02;

/**
 * Videos drawn cropped or stretched: `object-fit: cover` (or `fill`) on a box whose shape differs from
 * the picture's own (videoWidth x videoHeight) by more than CROP_TOLERANCE. A presentation must never be
 * cropped, and neither may a camera in a tile of another shape.
 */
export async function croppedVideos(page: Page): Promise<string[]> {
  return videos(page).evaluate((region, tolerance) => {
    const out: string[] = [];
    for (const v of Array.from(region.querySelectorAll('video'))) {
      const box = v.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || v.videoWidth === 0 || v.videoHeight === 0) continue;
      const fit = getComputedStyle(v).objectFit;
      if (fit !== 'cover' && fit !== 'fill') continue;
      const ratio = box.width / box.height / (v.videoWidth / v.videoHeight);
      const lost = 1 - Math.min(ratio, 1 / ratio);
      if (lost <= tolerance) continue;
      const name = v.closest('[role="group"]')?.getAttribute('aria-label') ?? '?';
      out.push(
        `tile "${name}" ${fit === 'fill' ? 'stretches' : 'crops'} its ${v.videoWidth}x${v.videoHeight} video to a ` +
          `${Math.round(box.width)}x${Math.round(box.height)} box (object-fit ${fit}, ${Math.round(lost * 100)}% lost)`,
      );
    }
    return out;
  }, CROP_TOLERANCE);
}

/**
 * Text on the meeting page (bars, banners, side panels; not the names drawn over video) too faint to
 * read: its contrast with the background it is drawn on under WCAG 2's 4.5:1 (3:1 for large text).
 * Text of a disabled control is exempt, as WCAG exempts it.
 */
export async function faintText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (c: string): Rgba | null => {
      const m = /rgba?\(([\d.]+)[, ]+([\d.]+)[, ]+([\d.]+)(?:[,/ ]+([\d.]+))?\)/.exec(c);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
    };
    // A colour with alpha drawn over an opaque one.
    const over = (top: Rgba, under: Rgba): Rgba => [
      top[0] * top[3] + under[0] * (1 - top[3]),
      top[1] * top[3] + under[1] * (1 - top[3]),
      top[2] * top[3] + under[2] * (1 - top[3]),
      1,
    ];
    const background = (el: Element): Rgba => {
      const layers: Rgba[] = [];
      for (let e: Element | null = el; e !== null; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c !== null && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let out: Rgba = [255, 255, 255, 1];
      for (let i = layers.length - 1; i >= 0; i--) out = over(layers[i]!, out);
      return out;
    };
    const luminance = (c: Rgba) => {
      const ch = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2]);
    };
    const out: string[] = [];
    const root = document.querySelector('.meeting');
    if (root === null) return out;
    for (const el of Array.from(root.querySelectorAll('*'))) {
      const own = Array.from(el.childNodes)
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent ?? '')
        .join('')
        .trim();
      if (own === '' || el.closest('[role="group"], [role="region"][aria-label="Videos"]') !== null) continue;
      if (el.closest('button:disabled, button[aria-disabled="true"]') !== null) continue;
      if (!(el as HTMLElement).checkVisibility?.({ opacityProperty: true, visibilityProperty: true }))
        continue;
      const style = getComputedStyle(el);
      const fg = parse(style.color);
      if (fg === null) continue;
      const bg = background(el);
      const l1 = luminance(over(fg, bg));
      const l2 = luminance(bg);
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5))
        out.push(
          `"${own.slice(0, 40)}" is faint: contrast ${ratio.toFixed(2)}:1 (${style.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}))`,
        );
    }
    return out;
  });
}

/**
 * Resolves once the page's CSS transitions (tiles glide for 150 ms when the layout changes) have run
 * out: two frames first, so a layout change made in response to the last action has started its
 * transitions, then every running transition's end, until a frame starts none (or 5 s have passed).
 * Endless animations (a pulsing dot) are not transitions and do not hold it up.
 */
export async function transitionsDone(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
    // A transition restarted on every frame (a level meter) never runs out: give up after 5 s.
    const end = performance.now() + 5000;
    await frame();
    await frame();
    while (performance.now() < end) {
      const running = document
        .getAnimations()
        .filter((a) => a instanceof CSSTransition && a.playState !== 'finished');
      if (running.length === 0) return;
      await Promise.all(running.map((a) => a.finished.catch(() => undefined)));
      await frame();
    }
  });
}

/**
 * The layout problems a person would notice: a tile or the control bar outside the window, tiles on top
 * of each other, a tile under the control bar or an open side panel, a video cropped to its tile
 * (croppedVideos), or text too faint to read (faintText). Empty when the screen is sound.
 */
export async function layoutProblems(page: Page): Promise<string[]> {
  const viewport = page.viewportSize();
  if (viewport === null) throw new Error('the page has no viewport size');
  const problems: string[] = [];
  const inside = (what: string, b: Box) => {
    if (
      b.x < -0.5 ||
      b.y < -0.5 ||
      b.x + b.width > viewport.width + 0.5 ||
      b.y + b.height > viewport.height + 0.5
    )
      problems.push(`${what} ${JSON.stringify(b)} leaves the ${viewport.width}x${viewport.height} window`);
  };
  const bar = await controls(page).boundingBox();
  if (bar === null) problems.push('the control bar is not shown');
  else inside('the control bar', bar);
  const tiles: Array<[string, Box]> = [];
  for (const t of await videos(page).getByRole('group').all()) {
    if (!(await t.isVisible())) continue;
    const b = await t.boundingBox();
    if (b === null) continue;
    tiles.push([(await t.getAttribute('aria-label')) ?? '?', b]);
  }
  if (tiles.length === 0) problems.push('no tile is shown');
  const panel = page.getByRole('complementary');
  const panelBox = (await panel.count()) > 0 ? await panel.first().boundingBox() : null;
  for (const [name, b] of tiles) {
    inside(`tile "${name}"`, b);
    if (bar !== null && overlap(b, bar)) problems.push(`tile "${name}" is under the control bar`);
    if (panelBox !== null && overlap(b, panelBox)) problems.push(`tile "${name}" is under the side panel`);
  }
  for (let i = 0; i < tiles.length; i++)
    for (let j = i + 1; j < tiles.length; j++)
      if (overlap(tiles[i]![1], tiles[j]![1]))
        problems.push(`tiles "${tiles[i]![0]}" and "${tiles[j]![0]}" overlap`);
  problems.push(...(await croppedVideos(page)));
  problems.push(...(await faintText(page)));
  return problems;
}

/**
 * Whether the tile shows live video: its <video> is what is on top at the tile's centre (no avatar over
 * it), and requestVideoFrameCallback sees `frames` new frames presented within `deadlineMs`.
 */
export async function videoShown(
  t: Locator,
  frames: number,
  deadlineMs: number,
): Promise<{ onTop: boolean; presented: number; width: number; height: number }> {
  return t.locator('video').evaluate(
    (video: HTMLVideoElement, args: { frames: number; deadlineMs: number }) =>
      new Promise((resolve) => {
        const box = video.getBoundingClientRect();
        const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
        const onTop = hit === video;
        let first: number | null = null;
        let last = { presented: 0, width: 0, height: 0 };
        const timer = setTimeout(() => resolve({ onTop, ...last }), args.deadlineMs);
        const step = (_now: number, meta: VideoFrameCallbackMetadata) => {
          first ??= meta.presentedFrames;
          last = { presented: meta.presentedFrames - first, width: meta.width, height: meta.height };
          if (last.presented >= args.frames) {
            clearTimeout(timer);
            resolve({ onTop, ...last });
          } else video.requestVideoFrameCallback(step);
        };
        video.requestVideoFrameCallback(step);
      }),
    { frames, deadlineMs },
  );
}

/** Waits until the tile shows live video (see videoShown); throws with what was seen instead. */
export async function waitVideoShown(t: Locator, what: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let seen: unknown = null;
  while (Date.now() < deadline) {
    const r = await videoShown(t, 10, Math.min(10_000, Math.max(1000, deadline - Date.now())));
    seen = r;
    if (r.onTop && r.presented >= 10) return;
    // Not yet: the avatar still covers the video or frames are not flowing. The next read waits again.
  }
  // Tell "the browser decodes nothing" (media) apart from "it decodes but the tile hides it" (page).
  const page = t.page();
  const room = await page
    .evaluate(async () => {
      const r = (window as { __origoRoom?: { decoded(): Promise<unknown>; state(): unknown } }).__origoRoom;
      return r === undefined ? null : { decoded: await r.decoded(), state: r.state() };
    })
    .catch(() => null);
  throw new Error(
    `${what}: no live video within ${deadlineMs} ms; last seen ${JSON.stringify(seen)}; room ${JSON.stringify(room)}`,
  );
}

/** The loudest level (0..1) on each of the page's remote audio elements over about `ms`. */
export async function remoteAudioLevels(page: Page, ms: number): Promise<number[]> {
  return page.evaluate(async (duration) => {
    const ctx = new AudioContext();
    await ctx.resume();
    const analysers: AnalyserNode[] = [];
    for (const el of Array.from(document.querySelectorAll('audio'))) {
      if (!(el.srcObject instanceof MediaStream) || el.srcObject.getAudioTracks().length === 0) continue;
      const a = ctx.createAnalyser();
      ctx.createMediaStreamSource(el.srcObject).connect(a);
      analysers.push(a);
    }
    const peaks = analysers.map(() => 0);
    const data = new Float32Array(2048);
    const end = performance.now() + duration;
    // Sampling the analysers over the window (not waiting for an event).
    while (performance.now() < end) {
      analysers.forEach((a, i) => {
        a.getFloatTimeDomainData(data);
        for (const v of data) peaks[i] = Math.max(peaks[i]!, Math.abs(v));
      });
      await new Promise((r) => setTimeout(r, 50));
    }
    await ctx.close();
    return peaks;
  }, ms);
}

/** Waits until some remote audio element carries sound (the fake microphone's tone). */
export async function waitRemoteAudio(page: Page, what: string, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let levels: number[] = [];
  while (Date.now() < deadline) {
    levels = await remoteAudioLevels(page, 1000);
    if (levels.some((l) => l > 0.01)) return;
  }
  throw new Error(
    `${what}: no sound within ${deadlineMs} ms; peak levels per audio element ${JSON.stringify(levels)}`,
  );
}

/**
 * Waits until the width of the picture the tile receives (the decoded video's own width, which is the
 * simulcast layer the SFU forwards) satisfies `ok`; returns it. Layer switches wait for a keyframe.
 */
export async function waitVideoWidth(
  t: Locator,
  ok: (width: number) => boolean,
  what: string,
  deadlineMs: number,
): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  let width = 0;
  for (;;) {
    width = await t.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth);
    if (ok(width)) return width;
    if (Date.now() > deadline)
      throw new Error(`${what}: the video is ${width} px wide after ${deadlineMs} ms`);
    await t.page().waitForTimeout(250);
  }
}

/**
 * Starts noting, in the page, the wall-clock time (ms since the epoch) of every frame the tile named
 * `name` presents, following the tile's <video> if the page replaces it. Read with frameTimes.
 */
export async function startFrameLog(page: Page, name: string): Promise<void> {
  await page.evaluate((tileName) => {
    const w = window as unknown as { __frameLog?: Record<string, number[]> };
    const log = (w.__frameLog ??= {});
    const times: number[] = (log[tileName] = []);
    const hooked = new WeakSet<HTMLVideoElement>();
    const hook = () => {
      const tiles = document.querySelectorAll('[role="region"][aria-label="Videos"] [role="group"]');
      const video = Array.from(tiles)
        .find((t) => t.getAttribute('aria-label') === tileName)
        ?.querySelector('video');
      if (!video || hooked.has(video)) return;
      hooked.add(video);
      const step = (now: number) => {
        times.push(performance.timeOrigin + now);
        if (video.isConnected) video.requestVideoFrameCallback(step);
      };
      video.requestVideoFrameCallback(step);
    };
    hook();
    // A tile re-rendered with a new <video> is picked up within this period.
    setInterval(hook, 200);
  }, name);
}

/** The presentation times noted since startFrameLog for the tile named `name`. */
export async function frameTimes(page: Page, name: string): Promise<number[]> {
  return page.evaluate(
    (tileName) =>
      (window as unknown as { __frameLog?: Record<string, number[]> }).__frameLog?.[tileName]?.slice() ?? [],
    name,
  );
}

/** The host copies the meeting's invite link from the Invite panel (and closes it); returns the link. */
export async function copyInviteLink(host: Page): Promise<string> {
  await controls(host).getByRole('button', { name: 'Invite' }).click();
  const invitePanel = host.getByRole('complementary', { name: 'Invite people' });
  await invitePanel.getByRole('button', { name: 'Copy invite link' }).click();
  await invitePanel.getByRole('button', { name: 'Link copied' }).waitFor();
  const link = await host.evaluate(() => navigator.clipboard.readText());
  await invitePanel.getByRole('button', { name: 'Close' }).click();
  return link;
}
