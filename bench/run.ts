/**
 * `npm run bench -- <scenario>`: runs one benchmark scenario (or all without an argument)
 * and prints a markdown table. Each scenario measures the API beside a baseline run in the
 * same process on the same database, so the figures are ratios, not absolute promises.
 */
const SCENARIOS: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  transfers: () => import('./transfers'),
  usage: () => import('./usage'),
  live: () => import('./live'),
  notify: () => import('./notify'),
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
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
