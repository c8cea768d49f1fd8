// bench:join: how long a person waits from clicking Join (or being admitted) to seeing the first remote
// frame, in Debian's Chromium with fake devices, through the platform as `npm start` runs it (the launcher
// as a child process, SFU workers forked). Each run: a host is in an instant meeting; a guest opens the
// link, types name and passcode, clicks Join; the time ends at the first frame painted in a visible remote
// tile (requestVideoFrameCallback on that <video>). The page's performance marks (client/src/rtc/marks.ts)
// break the wait down. The guest comes in as most do, through the invite link the host shares (--via link),
// or by typing the meeting passcode (--via passcode; control checks it with scrypt, a deliberate ~0.3 s).
// Usage: npm run bench:join -- [--runs 10] [--via link|passcode] [--json out.json]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '@origo/kit/testing';
import { launchChromium } from '../lib/chromium.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(opt('runs') ?? 10);
const JSON_OUT = opt('json');
const VIA = opt('via') ?? 'link';
if (VIA !== 'link' && VIA !== 'passcode') throw new Error('--via must be link or passcode');
const DEADLINE = 60_000;

const PHASES = [
  ['join-click', 'socket-open', 'REST join + page switch + socket'],
  ['socket-open', 'join-response', 'signaling join (token, room, SFU peer)'],
  ['join-response', 'publisher-offer', 'announce tracks, create offer'],
  ['publisher-offer', 'publisher-answer', 'publish offer -> answer'],
  ['publisher-answer', 'publisher-connected', 'publisher ICE + DTLS'],
  ['join-response', 'subscriber-offer', 'first subscriber offer arrives'],
  ['subscriber-offer', 'subscriber-connected', 'subscriber ICE + DTLS'],
  ['subscriber-connected', 'first-remote-frame', 'keyframe to first decoded frame'],
] as const;

async function startPlatform(): Promise<{ url: string; child: ChildProcess; data: string }> {
  const data = mkdtempSync(join(tmpdir(), 'origo-bench-join-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, 'platform/launcher/dist/bin.js'), 'start'], {
    env: {
      PATH: process.env['PATH'],
      ORIGO_DATA: data,
      PORT: String(port),
      HOST: '127.0.0.1',
      ORIGO_PUBLIC_URL: url,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_IP: '100000',
      RATE_LIMIT_PER_USER: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`platform did not start:\n${out}`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Open http')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    if (process.env['BENCH_LOG']) {
      child.stdout?.on('data', (d: Buffer) => process.stderr.write(d));
      child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    }
    child.once('exit', (code) => reject(new Error(`platform exited ${String(code)}:\n${out}`)));
  });
  return { url, child, data };
}

/**
 * Resolves with performance.now() of the first frame painted in the visible tile of `name` (the tiles are
 * the groups of the "Videos" region, labelled with the participant's name, as a screen reader reads them).
 */
function firstVisibleRemoteFrame(page: Page, name: string): Promise<number> {
  return page.evaluate(
    ({ deadline, name }) =>
      new Promise<number>((resolve, reject) => {
        const watched = new WeakSet<HTMLVideoElement>();
        const stop = setTimeout(() => reject(new Error(`no frame shown in the tile of ${name}`)), deadline);
        const scan = (): void => {
          for (const group of document.querySelectorAll(
            '[role="region"][aria-label="Videos"] [role="group"]',
          )) {
            if (group.getAttribute('aria-label') !== name) continue;
            for (const v of group.querySelectorAll('video')) {
              if (watched.has(v)) continue;
              const box = v.getBoundingClientRect();
              if (box.width < 2 || box.height < 2) continue;
              watched.add(v);
              v.requestVideoFrameCallback((now) => {
                clearTimeout(stop);
                clearInterval(timer);
                resolve(now);
              });
            }
          }
        };
        const timer = setInterval(scan, 20);
        scan();
      }),
    { deadline: DEADLINE, name },
  );
}

async function marks(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const e of performance.getEntriesByType('mark'))
      if (e.name.startsWith('origo:') && out[e.name.slice(6)] === undefined)
        out[e.name.slice(6)] = e.startTime;
    return out;
  });
}

/** tsx compiles with esbuild's keepNames, whose __name helper would be missing in page functions. */
const KEEP_NAMES_SHIM = 'globalThis.__name = (f) => f;';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function run(
  browser: Browser,
  url: string,
): Promise<Array<{ total: number; marks: Record<string, number> }>> {
  const hostCtx = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 720 } });
  await hostCtx.grantPermissions(['camera', 'microphone'], { origin: url });
  await hostCtx.addInitScript(KEEP_NAMES_SHIM);
  const host = await hostCtx.newPage();
  await host.goto('/sign-up');
  await host.getByLabel('Your name').fill('Bench Host');
  await host.getByLabel('E-mail').fill(`host-${Date.now()}@example.com`);
  await host.getByLabel('Password', { exact: true }).fill('a long enough passphrase 42');
  await host.getByRole('button', { name: 'Create account' }).click();
  await host.getByRole('heading', { name: 'Meetings', exact: true }).waitFor({ timeout: DEADLINE });
  const results: Array<{ total: number; marks: Record<string, number> }> = [];
  for (let i = 0; i < RUNS; i++) {
    const id = await host.evaluate(async () => {
      const r = await fetch('/api/meetings', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({
          title: 'Join bench',
          kind: 'instant',
          passcode: 'bench1234',
          lobby_enabled: false,
        }),
      });
      return ((await r.json()) as { id: string }).id;
    });
    await host.goto(`/join/${id}`);
    await host.getByRole('button', { name: 'Join meeting' }).click({ timeout: DEADLINE });
    await host
      .getByRole('navigation', { name: 'Meeting controls' })
      .waitFor({ timeout: DEADLINE })
      .catch(async (err: unknown) => {
        await host.screenshot({ path: join(tmpdir(), 'bench-join-host.png') });
        throw new Error(`host did not reach the meeting (screenshot in ${tmpdir()}): ${String(err)}`);
      });
    const guestCtx = await browser.newContext({ baseURL: url, viewport: { width: 1280, height: 720 } });
    await guestCtx.grantPermissions(['camera', 'microphone'], { origin: url });
    await guestCtx.addInitScript(KEEP_NAMES_SHIM);
    const guest = await guestCtx.newPage();
    const frames: string[] = [];
    if (process.env['BENCH_LOG'])
      guest.on('websocket', (ws) => {
        ws.on('framereceived', (f) => frames.push(`< ${String(f.payload).slice(0, 300)}`));
        ws.on('framesent', (f) => frames.push(`> ${String(f.payload).slice(0, 120)}`));
      });
    if (VIA === 'link') {
      // The link the host's invite control makes (its token travels in the URL fragment).
      const link = await host.evaluate(async (meetingId) => {
        const r = await fetch(`/api/meetings/${meetingId}/invite-links`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        if (!r.ok) throw new Error(`invite link: HTTP ${r.status}`);
        return ((await r.json()) as { invite_url: string }).invite_url;
      }, id);
      await guest.goto(link);
      await guest.getByLabel('Your name').fill(`Guest ${i + 1}`);
    } else {
      await guest.goto(`/join/${id}`);
      await guest.getByLabel('Your name').fill(`Guest ${i + 1}`);
      await guest.getByLabel('Meeting passcode').fill('bench1234');
    }
    // The camera preview must be live before the click, as for a person who looks at it first.
    await guest.locator('video').first().waitFor({ timeout: DEADLINE });
    const shown = firstVisibleRemoteFrame(guest, 'Bench Host');
    await guest.getByRole('button', { name: 'Join meeting' }).click();
    const at = await shown.catch(async (err: unknown) => {
      await guest.screenshot({ path: join(tmpdir(), 'bench-join-guest.png') });
      const state = await guest.evaluate(() =>
        JSON.stringify((window as { __origoRoom?: { state(): unknown } }).__origoRoom?.state()),
      );
      const tiles = await guest.evaluate(() =>
        [...document.querySelectorAll('[role="region"][aria-label="Videos"] [role="group"]')].map((t) => {
          const v = t.querySelector('video');
          const b = v?.getBoundingClientRect();
          return `${t.getAttribute('aria-label')} video=${v ? `${b?.width}x${b?.height} src=${v.srcObject ? 'yes' : 'no'} paused=${v.paused} ready=${v.readyState}` : 'none'}`;
        }),
      );
      process.stderr.write(`${frames.join('\n')}\n`);
      throw new Error(`${String(err)}; tiles ${tiles.join(' | ')}; room ${state}`);
    });
    const m = await marks(guest);
    m['visible-frame'] = at;
    const total = at - (m['join-click'] ?? at);
    results.push({ total, marks: m });
    process.stdout.write(`run ${i + 1}: ${total.toFixed(0)} ms\n`);
    await guestCtx.close();
    // Alone again (the guest's tile gone), the host leaves without being asked to end the meeting for all.
    await host
      .getByRole('group', { name: `Guest ${i + 1}`, exact: true })
      .waitFor({ state: 'detached', timeout: DEADLINE });
    await host.getByRole('button', { name: 'Leave' }).click();
    await host.waitForURL(/\/ended\?/, { timeout: DEADLINE });
  }
  await hostCtx.close();
  return results;
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const platform = await startPlatform();
  const browser = await launchChromium();
  try {
    const results = await run(browser, platform.url);
    const totals = results.map((r) => r.total).sort((a, b) => a - b);
    const phase = (from: string, to: string): number[] =>
      results
        .map((r) => (r.marks[to] ?? NaN) - (r.marks[from] ?? NaN))
        .filter((x) => Number.isFinite(x))
        .sort((a, b) => a - b);
    const lines = [
      `Join click -> first remote frame shown, ${results.length} joins via ${VIA} (loadavg at start ${load}):`,
      `  median ${percentile(totals, 50).toFixed(0)} ms, p95 ${percentile(totals, 95).toFixed(0)} ms, ` +
        `min ${totals[0]?.toFixed(0)} ms, max ${totals.at(-1)?.toFixed(0)} ms`,
      'Breakdown (median / p95 ms):',
      ...PHASES.map(([from, to, what]) => {
        const d = phase(from, to);
        return `  ${what.padEnd(40)} ${percentile(d, 50).toFixed(0).padStart(6)} / ${percentile(d, 95).toFixed(0).padStart(6)}`;
      }),
      `  ${'decoded -> painted in the visible tile'.padEnd(40)} ${percentile(phase('first-remote-frame', 'visible-frame'), 50).toFixed(0).padStart(6)} / ${percentile(phase('first-remote-frame', 'visible-frame'), 95).toFixed(0).padStart(6)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ via: VIA, loadavg: load, results }, null, 2));
  } finally {
    await browser.close();
    platform.child.kill('SIGTERM');
    await new Promise((r) => platform.child.once('exit', r));
    rmSync(platform.data, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:join failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
