import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One figure of a benchmark run beside the baselines measured in the same run: the shape
 * `bench/results/latest.json` holds and `npm run bench` prints as one table.
 */
export interface BenchRow {
  scenario: string;
  metric: string;
  /** Our figure, in `unit`. */
  ours: number;
  /** Each baseline's figure in the same unit, by name. */
  baselines: Record<string, number>;
  /** ours ÷ the baseline the goal is stated against (null when there is none). */
  ratio: number | null;
  /** The goal in words ("ratio ≥ 1.0", "0 lost"), null when the row only reports. */
  goal: string | null;
  /** Whether the goal holds; null when there is no goal. */
  met: boolean | null;
  unit: string;
  /** ISO time of the run that measured this row (rows of scenarios not run are kept from earlier runs). */
  measuredAt: string;
  machine: string;
}

export type RowInput = Omit<BenchRow, 'measuredAt' | 'machine' | 'ratio' | 'met'> & {
  /** Which baseline the ratio is taken against; the first one by default. */
  ratioAgainst?: string;
  /** Decides `met` from the row; without it `met` is null. */
  meets?: (row: { ours: number; ratio: number | null }) => boolean;
};

/** The machine in a few words: the figures are ratios, but the reader should know where. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

const collected: BenchRow[] = [];

/** Turns a scenario's figure into a row (ratio and goal decided here, once) and keeps it for the run's table. */
export function recordRow(input: RowInput, now = new Date()): BenchRow {
  const against = input.ratioAgainst ?? Object.keys(input.baselines)[0];
  const base = against === undefined ? undefined : input.baselines[against];
  const ratio = base === undefined || base === 0 || !Number.isFinite(base) ? null : input.ours / base;
  const row: BenchRow = {
    scenario: input.scenario,
    metric: input.metric,
    ours: input.ours,
    baselines: input.baselines,
    ratio,
    goal: input.goal,
    met: input.meets ? input.meets({ ours: input.ours, ratio }) : null,
    unit: input.unit,
    measuredAt: now.toISOString(),
    machine: machineDescription(),
  };
  collected.push(row);
  return row;
}

/** The rows recorded in this process so far. */
export function recordedRows(): readonly BenchRow[] {
  return collected;
}

/** Rows of this run first; rows of scenarios this run did not measure stay as they were. */
export function mergeRows(previous: readonly BenchRow[], current: readonly BenchRow[]): BenchRow[] {
  const ran = new Set(current.map((row) => row.scenario));
  return [...current, ...previous.filter((row) => !ran.has(row.scenario))];
}

export function readRows(file: string): BenchRow[] {
  if (!existsSync(file)) return [];
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return Array.isArray(parsed) ? (parsed as BenchRow[]) : [];
}

/** Writes `rows` merged into `file` (an array of rows, pretty-printed for review in git). */
export function writeRows(file: string, rows: readonly BenchRow[]): BenchRow[] {
  const merged = mergeRows(readRows(file), rows);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

/** Where `npm run bench` writes (from the repository root); BENCH_RESULTS_FILE elsewhere. */
export const LATEST_RESULTS = path.resolve(process.env.BENCH_RESULTS_FILE ?? path.join('bench', 'results', 'latest.json'));

const number = (value: number) =>
  Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en') : Number(value.toPrecision(3)).toString();

/** The one table `npm run bench` prints (markdown, as the README carries it). */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = [
    '| scenario | metric | ours | baselines | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const baselines = Object.entries(row.baselines).map(([name, value]) => `${name} ${number(value)}`).join('; ') || '—';
    const met = row.met === null ? '—' : row.met ? 'yes' : '**no**';
    lines.push(
      `| ${row.scenario} | ${row.metric} (${row.unit}) | ${number(row.ours)} | ${baselines} | ${row.ratio === null ? '—' : `${row.ratio.toFixed(2)}×`} | ${row.goal ?? '—'} | ${met} |`,
    );
  }
  return lines.join('\n');
}
