// Coverage gate: per-package line coverage (vitest's v8 provider, json-summary reporter) against the
// committed baseline (deploy/gates/coverage-baseline.json). Fails when the global figure drops by more
// than the allowed points, or when a source file added by the change is (nearly) untested.

export interface Totals {
  lines: { total: number; covered: number };
}

export interface Summary {
  total: Totals;
  /** Per file, keyed by absolute path. */
  files: Record<string, Totals>;
}

export interface Baseline {
  /** Allowed drop of the global line coverage, in percentage points. */
  maxGlobalDropPoints: number;
  /** Least line coverage of a source file added by the change, in percent. */
  newFileMinPercent: number;
  globalPercent: number;
  packages: Record<string, number>;
}

export interface GateResult {
  ok: boolean;
  globalPercent: number;
  packages: Record<string, number>;
  problems: string[];
  notes: string[];
}

/** Generated code (ts-proto output) is not ours to test; it would dominate the figures. */
const GENERATED = /\/gen\//;

const pct = (t: { total: number; covered: number }) => (t.total === 0 ? 100 : (100 * t.covered) / t.total);
const round = (n: number) => Math.round(n * 100) / 100;

/** Turns vitest's coverage-summary.json (total + one entry per file) into a Summary. */
export function readSummary(json: unknown): Summary {
  const raw = json as Record<string, { lines?: { total?: number; covered?: number } }>;
  const take = (entry: { lines?: { total?: number; covered?: number } } | undefined): Totals => ({
    lines: { total: entry?.lines?.total ?? 0, covered: entry?.lines?.covered ?? 0 },
  });
  const files: Record<string, Totals> = {};
  for (const [key, value] of Object.entries(raw)) if (key !== 'total') files[key] = take(value);
  return { total: take(raw['total']), files };
}

export function evaluate(input: {
  baseline: Baseline;
  summaries: Record<string, Summary>;
  /** Repository-relative paths of source files the change adds. */
  addedSources: string[];
  repoRoot: string;
}): GateResult {
  const { baseline } = input;
  let total = 0;
  let covered = 0;
  const packages: Record<string, number> = {};
  for (const [name, summary] of Object.entries(input.summaries)) {
    const files = Object.entries(summary.files).filter(([file]) => !GENERATED.test(file));
    const own =
      files.length > 0
        ? files.reduce(
            (acc, [, t]) => ({ total: acc.total + t.lines.total, covered: acc.covered + t.lines.covered }),
            { total: 0, covered: 0 },
          )
        : summary.total.lines;
    total += own.total;
    covered += own.covered;
    packages[name] = round(pct(own));
  }
  const globalPercent = round(pct({ total, covered }));
  const problems: string[] = [];
  const notes: string[] = [];
  const drop = baseline.globalPercent - globalPercent;
  if (drop > baseline.maxGlobalDropPoints)
    problems.push(
      `global line coverage ${globalPercent}% is ${round(drop)} points below the baseline ${baseline.globalPercent}% (at most ${baseline.maxGlobalDropPoints} allowed)`,
    );
  for (const [name, percent] of Object.entries(packages)) {
    const before = baseline.packages[name];
    if (before !== undefined && percent < before - baseline.maxGlobalDropPoints)
      notes.push(`${name}: ${percent}% (baseline ${before}%)`);
  }
  const byFile = new Map<string, Totals>();
  for (const summary of Object.values(input.summaries))
    for (const [file, totals] of Object.entries(summary.files))
      byFile.set(file.replace(`${input.repoRoot}/`, ''), totals);
  for (const added of input.addedSources) {
    const totals = byFile.get(added);
    if (!totals) {
      problems.push(`${added}: added but never loaded by a test`);
      continue;
    }
    const percent = pct(totals.lines);
    if (percent < baseline.newFileMinPercent)
      problems.push(
        `${added}: added with ${round(percent)}% line coverage (at least ${baseline.newFileMinPercent}% expected)`,
      );
  }
  return { ok: problems.length === 0, globalPercent, packages, problems, notes };
}
