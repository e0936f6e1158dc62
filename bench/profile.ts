import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/**
 * Bench-only: a CPU profile of this process over one phase, written as a .cpuprofile
 * (open it in Chrome DevTools, or summarise it with `node dist/bench/profile-summary.js`).
 * Started only when BENCH_PROFILE names the phase (`storm` also matches `storm-spread`), so benches pay nothing otherwise.
 */
export async function profilePhase<T>(phase: string, label: string, body: () => Promise<T>): Promise<T> {
  const wanted = process.env.BENCH_PROFILE;
  if (!wanted || (phase !== wanted && !phase.startsWith(`${wanted}-`))) return body();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    const file = `/tmp/bench-${label}-${phase}-${process.pid}.cpuprofile`;
    writeFileSync(file, JSON.stringify(profile));
    console.error(`[profile] ${label} ${phase}: ${file}`);
    session.disconnect();
  }
}
