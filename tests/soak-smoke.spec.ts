import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A 20-second `npm run soak` (issue 17), so the soak cannot rot between its 10-minute runs:
 * the real script in its own process (server, forked clients, faults every 4 s on the
 * suite's PostgreSQL), which exits 0 only when every invariant holds: ledger:verify, each
 * transfer key moved exactly once, each call recorded once, no request left unanswered,
 * every churning subscriber's stream without a lost, duplicated or reordered event.
 * It times nothing.
 */
const root = path.resolve(__dirname, '..');
const script = path.join(root, 'dist', 'bench', 'soak.js');
const sources = ['soak.ts', 'soak-clients.ts', 'soak-faults.ts', 'harness.ts'].map((file) => path.join(root, 'bench', file));

describe('npm run soak, in 20 seconds', () => {
  beforeAll(() => {
    // `npm test` builds first (check:generated); a lone `jest` run may have a stale dist.
    const built = existsSync(script) ? statSync(script).mtimeMs : 0;
    if (sources.some((file) => statSync(file).mtimeMs > built)) {
      execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    }
  }, 180_000);

  it('should keep every invariant under load, churn and a fault every few seconds', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: process.env.TEST_ADMIN_URL,
      SOAK_SECONDS: '20', SOAK_SUBSCRIBERS: '40', SOAK_SUB_ACCOUNTS: '4', SOAK_FAULT_EVERY_SECONDS: '4',
      SOAK_REPORT_EVERY_SECONDS: '5', SOAK_DASHBOARDS_PER_SECOND: '4', SOAK_TRANSFERS_PER_SECOND: '10',
      SOAK_USAGE_BATCHES_PER_SECOND: '2', SOAK_CALLS_PER_BATCH: '5', SOAK_WRITE_RESULTS: '0',
      SOAK_HOLD_MIN_SECONDS: '3', SOAK_HOLD_MAX_SECONDS: '8',
    };
    const child = spawn(process.execPath, [script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = output.split('\n').find((l) => l.startsWith('SOAK_RESULT '));
    if (code !== 0 || !line) throw new Error(`soak exited with ${code}:\n${output.slice(-4000)}`);
    const { ok, summary } = JSON.parse(line.slice('SOAK_RESULT '.length));
    expect(ok).toBe(true);
    expect(summary.faults).toBeGreaterThanOrEqual(4);
    expect(summary.transfers.moved).toBeGreaterThan(0);
    expect(summary.transfers.ledgerRows).toBe(summary.transfers.moved);
    expect(summary.calls.stored).toBe(summary.calls.recorded);
    expect(summary.calls.recorded).toBeGreaterThan(0);
    expect(summary.streams.resumedSubscribers).toBeGreaterThan(20);
    expect(summary.streams.checkedEvents).toBeGreaterThan(0);
    expect(summary.streams).toMatchObject({ lost: 0, duplicated: 0, outOfOrder: 0, behind: 0 });
    expect(summary.ledger.ok).toBe(true);
  }, 240_000);
});
