import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { verifyLedger } from '../../src/modules/ledger/ledger-verify';

/**
 * The bank test's workload and its checker, shared by the real run (through GraphQL) and
 * the run against a deliberately weakened balance check (a test of the test).
 */
export interface BankTransfer {
  key: string;
  from: number;
  to: number;
  minutes: string;
}

export type TransferOutcome = { transferId: string } | { error: string };

export type TransferExecutor = (transfer: BankTransfer) => Promise<TransferOutcome>;

/** A deterministic pseudo-random generator (mulberry32), so a failing run can be replayed by its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` transfers among `accounts` wallets: mostly small, some large enough to overdraw,
 * and about one in eight a retry of an earlier request (same key, same terms).
 */
export function bankWorkload(count: number, accounts: number, seed: number): BankTransfer[] {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const transfers: BankTransfer[] = [];
  const run = randomBytes(4).toString('hex');
  while (transfers.length < count) {
    if (transfers.length > 10 && next() < 0.125) {
      transfers.push({ ...transfers[pick(transfers.length)] });
      continue;
    }
    const from = pick(accounts);
    let to = pick(accounts - 1);
    if (to >= from) to += 1;
    const overdraw = next() < 0.1;
    const units = overdraw ? 2_000_000 + pick(5_000_000) : 1 + pick(400_000); // in 1/10,000 minute
    const minutes = `${Math.floor(units / 10_000)}.${String(units % 10_000).padStart(4, '0')}`;
    transfers.push({ key: `bank-${run}-${transfers.length}`, from, to, minutes });
  }
  return transfers;
}

/** Runs the workload with `concurrency` clients pulling from one queue; returns every outcome by key. */
export async function runBank(
  workload: BankTransfer[],
  concurrency: number,
  execute: TransferExecutor,
): Promise<Map<string, TransferOutcome[]>> {
  const outcomes = new Map<string, TransferOutcome[]>();
  let next = 0;
  const client = async () => {
    while (next < workload.length) {
      const transfer = workload[next++];
      const outcome = await execute(transfer);
      outcomes.set(transfer.key, [...(outcomes.get(transfer.key) ?? []), outcome]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return outcomes;
}

export interface BankCheck {
  violations: string[];
  succeeded: number;
  refused: number;
  retriedKeys: number;
}

/**
 * What must hold after any run: the wallets' total is conserved to the micro-dollar, no
 * wallet is negative, every key moved money at most once and every retry of a key that
 * succeeded returned the same transfer, and ledger:verify passes.
 */
export async function checkBank(
  dataSource: DataSource,
  walletIds: string[],
  initialTotalMicros: bigint,
  outcomes: Map<string, TransferOutcome[]>,
): Promise<BankCheck> {
  const violations: string[] = [];
  const balances: Array<{ id: string; balance_micros: string }> = await dataSource.query(
    `SELECT id, balance_micros FROM ledger_accounts WHERE id = ANY($1)`,
    [walletIds],
  );
  const total = balances.reduce((sum, row) => sum + BigInt(row.balance_micros), 0n);
  if (total !== initialTotalMicros) violations.push(`total ${total} differs from the initial ${initialTotalMicros}`);
  for (const row of balances) {
    if (BigInt(row.balance_micros) < 0n) violations.push(`wallet ${row.id} is negative: ${row.balance_micros}`);
  }
  const perKey: Array<{ idempotency_key: string; n: string }> = await dataSource.query(
    `SELECT idempotency_key, count(*) AS n FROM ledger_transfers WHERE kind = 'MINUTE_TRANSFER' GROUP BY 1 HAVING count(*) > 1`,
  );
  for (const row of perKey) violations.push(`key ${row.idempotency_key} moved money ${row.n} times`);
  let succeeded = 0;
  let refused = 0;
  let retriedKeys = 0;
  for (const [key, results] of outcomes) {
    if (results.length > 1) retriedKeys += 1;
    const ids = new Set(results.flatMap((r) => ('transferId' in r ? [r.transferId] : [])));
    if (ids.size > 1) violations.push(`key ${key} returned different transfers`);
    if (ids.size === 1) succeeded += 1;
    else refused += 1;
  }
  const ledger = await verifyLedger(dataSource);
  violations.push(...ledger.problems.map((p) => `ledger:verify: ${p}`));
  return { violations, succeeded, refused, retriedKeys };
}
