#!/usr/bin/env node
/**
 * `npm audit --omit=dev`, failing (exit 1) on any high or critical advisory of a production
 * dependency. Run by `npm test` (so by CI) as `npm run audit:prod`.
 *
 * When the audit cannot run at all (no network, or a registry without the audit endpoint:
 * this project's build machines answer 405 to npm's bulk advisory POST) it prints a warning
 * saying why and exits 0: an unreachable audit service is not an advisory, and must not fail
 * every build. `--stdin` reads an `npm audit --json` report from stdin instead of running npm.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const FAILING = ['high', 'critical'];

function runAudit() {
  const result = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { problem: `npm could not be run (${result.error.message})` };
  return { stdout: result.stdout };
}

/** What the report says: { problem } when no audit result is in it, else the failing advisories and the counts. */
export function judge(stdout) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { problem: 'npm audit gave no JSON report' };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts || typeof counts !== 'object') {
    const status = report?.statusCode ? `HTTP ${report.statusCode}: ` : '';
    const message = report?.message ?? report?.error?.summary ?? 'no audit result in the report';
    return { problem: `the audit endpoint answered ${status}${message}`.trim() };
  }
  const failing = Object.values(report.vulnerabilities ?? {})
    .filter((v) => FAILING.includes(v.severity))
    .map((v) => {
      const titles = (v.via ?? []).filter((via) => typeof via === 'object').map((via) => `${via.title} (${via.url})`);
      return `${v.name} ${v.range ?? ''} [${v.severity}]${titles.length ? ': ' + titles.join('; ') : ''}`;
    });
  return { counts, failing };
}

const input = process.argv.includes('--stdin') ? { stdout: readFileSync(0, 'utf8') } : runAudit();
const verdict = input.problem ? { problem: input.problem } : judge(input.stdout);
if (verdict.problem) {
  console.warn(`WARNING: npm audit --omit=dev could not run, so no advisory was checked: ${verdict.problem}.`);
  console.warn('WARNING: the build goes on; run `npm run audit:prod` where the npm registry audit endpoint is reachable.');
  process.exit(0);
}
const summary = Object.entries(verdict.counts).filter(([key]) => key !== 'total').map(([key, n]) => `${n} ${key}`).join(', ');
if (verdict.failing.length > 0) {
  console.error(`npm audit --omit=dev: ${verdict.failing.length} production dependencies with high or critical advisories (${summary}):`);
  for (const line of verdict.failing) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`npm audit --omit=dev: no high or critical advisory (${summary}).`);
