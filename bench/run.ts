import { formatTable, LATEST_RESULTS, recordedRows, writeRows } from './results';

/**
 * `npm run bench -- <scenario>`: runs one benchmark scenario (or all without an argument),
 * each printing its own detailed tables, then one table of every figure beside its baselines,
 * goal and verdict, also written to bench/results/latest.json (rows of scenarios not run
 * are kept from the previous file). Each scenario measures the API beside a baseline run
 * on the same database in the same run, so the figures are ratios, not absolute promises.
 */
const SCENARIOS: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  transfers: () => import('./transfers'),
  usage: () => import('./usage'),
  live: () => import('./live'),
  notify: () => import('./notify'),
  read: () => import('./read'),
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = requested.length ? requested : Object.keys(SCENARIOS);
  for (const name of names) {
    const load = SCENARIOS[name];
    if (!load) {
      console.error(`unknown bench scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}`);
      process.exit(2);
    }
    await (await load()).run();
  }
  const rows = recordedRows();
  console.log(`\n## Summary (${new Date().toISOString()})\n\n${formatTable(rows)}\n`);
  writeRows(LATEST_RESULTS, rows);
  console.log(`written to ${LATEST_RESULTS}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
