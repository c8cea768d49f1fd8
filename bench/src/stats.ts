// Small numeric helpers shared by the benches: a fixed-bucket latency histogram (no per-sample
// allocation on the receive path), percentiles of short arrays, rounding for reports.

/** Latency histogram with 10 us buckets up to 2 s; later samples land in the overflow bucket. */
export class LatencyHistogram {
  static readonly BUCKET_MS = 0.01;
  private readonly buckets = new Uint32Array(200_001);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    let i = Math.floor(v / LatencyHistogram.BUCKET_MS);
    if (i >= this.buckets.length) i = this.buckets.length - 1;
    this.buckets[i]!++;
    this.count++;
    this.sumMs += v;
    if (v > this.maxMs) this.maxMs = v;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.buckets.length; i++) this.buckets[i]! += other.buckets[i]!;
    this.count += other.count;
    this.sumMs += other.sumMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }

  /** Upper edge of the bucket holding quantile q (0..1); NaN when empty, Infinity past 2 s. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) {
        return i === this.buckets.length - 1
          ? Number.POSITIVE_INFINITY
          : (i + 1) * LatencyHistogram.BUCKET_MS;
      }
    }
    return this.maxMs;
  }

  get meanMs(): number {
    return this.count === 0 ? Number.NaN : this.sumMs / this.count;
  }
}

/** Nearest-rank percentile of a small array; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function round(v: number, digits = 1): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Renders rows as a fixed-width text table (first row is the header). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [line(rows[0] ?? [])];
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) out.push(line(r));
  return out.join('\n');
}

export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return round(v, digits).toLocaleString('en-US', { maximumFractionDigits: digits });
}
