import { Writable } from 'node:stream';

/** A pino destination that keeps the JSON lines, for tests that assert on logs. */
export function captureLogs(): { destination: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    destination,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)( -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"$/;

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly, throwing on the first line that
 * does not conform; used to prove `/metrics` is valid, not merely non-empty.
 */
export function parsePrometheusText(text: string): { samples: PromSample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      if (!new RegExp(`^# HELP ${NAME} .*$`).test(line)) throw new Error(`bad HELP ${where}`);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      if (!m?.[1] || !m[2]) throw new Error(`bad TYPE ${where}`);
      if (types.has(m[1])) throw new Error(`duplicate TYPE ${where}`);
      types.set(m[1], m[2]);
      return;
    }
    if (line.startsWith('#')) return;
    const m = SAMPLE.exec(line);
    if (!m?.[1] || m[4] === undefined) throw new Error(`bad sample ${where}`);
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`bad value ${where}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const pair of splitLabels(m[3])) {
        const lm = LABEL.exec(pair);
        if (!lm?.[1] || lm[2] === undefined) throw new Error(`bad label ${pair} in ${where}`);
        labels[lm[1]] = lm[2];
      }
    }
    const family = m[1].replace(/_(bucket|sum|count|total|created)$/, '');
    if (!types.has(m[1]) && !types.has(family)) throw new Error(`sample before its TYPE ${where}`);
    samples.push({ name: m[1], labels, value });
  });
  return { samples, types };
}

function splitLabels(body: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\' && quoted) {
      current += ch + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      if (current) parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current) parts.push(current);
  return parts;
}

/**
 * Polls `predicate` until it holds or the deadline passes; the deadline is generous by design. `detail`
 * is read once at the deadline and put in the error, to say how far things got.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string; detail?: () => unknown } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await predicate();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const detail = options.detail === undefined ? '' : `: ${JSON.stringify(options.detail())}`;
      throw new Error(`Timed out waiting for ${options.what ?? 'condition'}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}

const retained: unknown[] = [];

/**
 * Keeps objects reachable until the process exits. For test peers on @roamhq/wrtc (libwebrtc): its
 * finalizers can crash the process when the garbage collector frees a media source after its track (a
 * source's destructor releases a track reference that is already gone; seen as a SIGSEGV in
 * `napi_get_and_clear_last_exception` under `~RTCAudioSource`). Mid-file, that kills the test worker
 * without a word; retained objects are only finalized when the worker exits, after its results are in.
 */
export function retainUntilExit(...objects: unknown[]): void {
  retained.push(...objects);
}

/**
 * The local SDP of a @roamhq/wrtc (libwebrtc) peer connection, read once its ICE gathering is complete. The
 * binding serializes the description on the JavaScript thread while libwebrtc may still be adding gathered
 * candidates to it on its own thread; reading it then can crash the process (SIGSEGV in
 * `webrtc::SdpSerialize` under the `localDescription` getter: a test worker that exits without a word).
 * Once gathering is complete nothing changes the description until the next offer or answer.
 */
export async function gatheredLocalSdp(
  pc: { readonly iceGatheringState: string; readonly localDescription: { sdp: string } | null },
  timeoutMs = 30_000,
): Promise<string> {
  await waitFor(() => pc.iceGatheringState === 'complete', {
    timeoutMs,
    intervalMs: 5,
    what: 'ICE gathering to complete',
  });
  const d = pc.localDescription;
  if (d === null) throw new Error('the peer connection has no local description');
  return d.sdp;
}

export * from './fuzz.js';

export * from './ports.js';
export * from './pg-cluster.js';
