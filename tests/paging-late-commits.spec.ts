import type { QueryRunner } from 'typeorm';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { ago, callId, fund, recordCall, recordCalls } from './helpers/usage';
import { until } from './helpers/until';

/**
 * Keyset paging never skips a row that commits late (docs/faults.md, "Late commits and
 * keyset paging"). A reader that shows a wallet's transfers or a sub-account's calls
 * newest first polls the first page until the newest row it already has; everything above
 * it is new. That is gap-free only if a row can never commit *below* a row already served:
 * `created_at` is the transaction's start, so a transfer that waited on a wallet's lock
 * used to land behind rows committed during its wait. Lists now page by `seq`, drawn under
 * the wallet's lock (commit order). Both scenarios below failed with the old order.
 */
describe('keyset paging with late commits', () => {
  jest.setTimeout(120_000);
  let app: TestApp;
  let agencyId: string;

  const TRANSFER = `mutation($input: TransferMinutesInput!) {
    transferMinutes(input: $input) { transfer { id } userErrors { code message } }
  }`;
  const TRANSFERS = `query($id: ID!, $first: Int!, $after: String) { subAccount(id: $id) { wallet { transfers(first: $first, after: $after) {
    totalCount edges { cursor node { id kind } } pageInfo { hasNextPage endCursor } } } } }`;
  const CALLS = `query($id: ID!, $first: Int!, $after: String) { subAccount(id: $id) { calls(first: $first, after: $after, order: RECORDED) {
    edges { cursor node { id externalCallId } } pageInfo { hasNextPage endCursor } } } }`;

  interface Row { id: string; cursor: string }
  type PageReader = (subAccountId: string, first: number, after?: string) => Promise<{ rows: Row[]; hasNextPage: boolean; endCursor: string | null }>;

  const transfersPage: PageReader = async (subAccountId, first, after) => {
    const data = ok(await app.gql(TRANSFERS, { id: subAccountId, first, after: after ?? null }));
    const page = data.subAccount.wallet.transfers;
    return { rows: page.edges.map((e: any) => ({ id: e.node.id, cursor: e.cursor })), ...page.pageInfo };
  };
  const callsPage: PageReader = async (subAccountId, first, after) => {
    const data = ok(await app.gql(CALLS, { id: subAccountId, first, after: after ?? null }));
    const page = data.subAccount.calls;
    return { rows: page.edges.map((e: any) => ({ id: e.node.id, cursor: e.cursor })), ...page.pageInfo };
  };

  /** What a polling reader does: pages from the top until the newest row it had; returns the rows above it. */
  async function newSince(read: PageReader, subAccountId: string, known: string | undefined, pageSize: number): Promise<string[]> {
    const fresh: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await read(subAccountId, pageSize, after);
      for (const row of page.rows) {
        if (row.id === known) return fresh;
        fresh.push(row.id);
      }
      if (!page.hasNextPage) return fresh;
      after = page.endCursor!;
    }
  }

  /** Every row, one page at a time. */
  async function everyRow(read: PageReader, subAccountId: string, pageSize: number): Promise<string[]> {
    return newSince(read, subAccountId, undefined, pageSize);
  }

  async function transfer(from: string, to: string, minutes = '1'): Promise<string> {
    const data = ok(await app.gql(TRANSFER, { input: { fromSubAccountId: from, toSubAccountId: to, tier: 'BASIC', minutes, idempotencyKey: callId('t') } }));
    if (data.transferMinutes.userErrors.length) throw new Error(JSON.stringify(data.transferMinutes.userErrors));
    return data.transferMinutes.transfer.id;
  }

  async function walletIdOf(subAccountId: string): Promise<string> {
    const [row] = await app.dataSource.query(`SELECT id FROM wallets WHERE sub_account_id = $1`, [rawId(subAccountId)]);
    return row.id;
  }

  /** Holds a wallet's ledger account as a writer would, until `release`. */
  async function holdWallet(walletId: string): Promise<{ release: () => Promise<void> }> {
    const runner: QueryRunner = app.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(`SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE`, [walletId]);
    return {
      release: async () => {
        await runner.commitTransaction();
        await runner.release();
      },
    };
  }

  const lockWaiters = async (): Promise<number> => {
    const [row] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return row.n;
  };

  /** Two funded sub-accounts, the first one's wallet id below the second's (ledger writers lock in id order). */
  async function pairInLockOrder(): Promise<{ low: string; high: string; lowWallet: string }> {
    const a = await addSubAccount(app, agencyId);
    const b = await addSubAccount(app, agencyId);
    const [wa, wb] = [await walletIdOf(a), await walletIdOf(b)];
    const [low, high, lowWallet] = wa < wb ? [a, b, wa] : [b, a, wb];
    await fund(app, low, '500');
    await fund(app, high, '500');
    return { low, high, lowWallet };
  }

  beforeAll(async () => {
    app = await startTestApp();
    ({ agencyId } = await createAgency(app));
  });
  afterAll(() => app.close());

  it('should show above the newest row served a transfer that committed after waiting on a lock', async () => {
    const { low, high, lowWallet } = await pairInLockOrder();
    const known = (await transfersPage(high, 1)).rows[0].id;

    // The transfer low → high starts, then waits on low's wallet (held here); high is not locked yet.
    const holder = await holdWallet(lowWallet);
    const late = transfer(low, high);
    await until(lockWaiters, (n) => n > 0, 10_000, 20);
    // Meanwhile a call on high commits: the reader sees it as the newest row.
    ok(await recordCall(app, { subAccountId: high, externalCallId: callId('during'), durationSeconds: 60, startedAt: ago(2) }));
    const duringWait = await transfersPage(high, 1);
    expect(duringWait.rows).toHaveLength(1);
    const served = duringWait.rows[0].id;
    expect(served).not.toBe(known);
    expect(await newSince(transfersPage, high, known, 2)).toEqual([served]);

    await holder.release();
    const lateId = await late;
    // Polling from the top until the row it had, the reader finds exactly the late transfer.
    expect(await newSince(transfersPage, high, served, 2)).toEqual([lateId]);

    // A full pass one row at a time: every row once.
    const all = await everyRow(transfersPage, high, 1);
    expect(new Set(all).size).toBe(all.length);
    const { totalCount } = ok(await app.gql(TRANSFERS, { id: high, first: 0 })).subAccount.wallet.transfers;
    expect(all).toHaveLength(totalCount);
  });

  it('should list calls in recording order: a call pushed late is above the calls served before it', async () => {
    const sub = await addSubAccount(app, agencyId);
    await fund(app, sub, '100');
    const first = ok(await recordCall(app, { subAccountId: sub, externalCallId: callId('first'), startedAt: ago(1) })).recordCallUsage.call.id;
    const served = (await callsPage(sub, 1)).rows[0].id;
    expect(served).toBe(first);
    // The platform pushes a call that started earlier: by start instant it is below `first`.
    const pushedLate = ok(await recordCall(app, { subAccountId: sub, externalCallId: callId('late'), startedAt: ago(30) })).recordCallUsage.call.id;
    expect(await newSince(callsPage, sub, served, 1)).toEqual([pushedLate]);
    const byStart = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { calls(first: 5) { edges { node { id } } } } }`, { id: sub }));
    expect(byStart.subAccount.calls.edges.map((e: any) => e.node.id)).toEqual([first, pushedLate]);
  });

  it('should answer an empty page for a cursor of another sub-account in recording order, and refuse a malformed one', async () => {
    const a = await addSubAccount(app, agencyId);
    const b = await addSubAccount(app, agencyId);
    await recordCalls(app, [a, b].map((subAccountId) => ({ subAccountId, externalCallId: callId('x'), startedAt: ago(3) })));
    const cursorOfA = (await callsPage(a, 1)).rows[0].cursor;
    expect((await callsPage(b, 5, cursorOfA)).rows).toEqual([]);
    const transferCursorOfA = (await transfersPage(a, 1)).rows[0].cursor;
    expect((await transfersPage(b, 5, transferCursorOfA)).rows).toEqual([]);
    const bad = await app.gql(CALLS, { id: a, first: 1, after: 'not-a-cursor' });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('should page every row exactly once while writers race and a lock holder delays them', async () => {
    const { low, high, lowWallet } = await pairInLockOrder();
    const sources = [low];
    for (let i = 0; i < 2; i++) {
      const s = await addSubAccount(app, agencyId);
      await fund(app, s, '500');
      sources.push(s);
    }
    const lockable = [lowWallet, ...(await Promise.all(sources.slice(1).map(walletIdOf)))];
    const startTransfers = await everyRow(transfersPage, high, 100);
    const startCalls = await everyRow(callsPage, high, 100);

    const deadline = Date.now() + 4_000;
    const running = () => Date.now() < deadline;
    const writers = [
      (async () => {
        while (running()) await recordCall(app, { subAccountId: high, externalCallId: callId('race'), startedAt: ago(Math.floor(Math.random() * 60)) });
      })(),
      ...[0, 1].map(async (w) => {
        while (running()) await transfer(sources[(w + Math.floor(Math.random() * 3)) % 3], high, '0.5');
      }),
      (async () => {
        while (running()) {
          const holder = await holdWallet(lockable[Math.floor(Math.random() * lockable.length)]);
          await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
          await holder.release();
        }
      })(),
    ];
    const seen = { transfers: [] as string[], calls: [] as string[] };
    let known = { transfers: startTransfers[0], calls: startCalls[0] };
    const reader = (async () => {
      while (running()) {
        const t = await newSince(transfersPage, high, known.transfers, 3);
        const c = await newSince(callsPage, high, known.calls, 3);
        seen.transfers.push(...t.reverse());
        seen.calls.push(...c.reverse());
        known = { transfers: seen.transfers.at(-1) ?? known.transfers, calls: seen.calls.at(-1) ?? known.calls };
      }
    })();
    await Promise.all([...writers, reader]);
    seen.transfers.push(...(await newSince(transfersPage, high, known.transfers, 3)).reverse());
    seen.calls.push(...(await newSince(callsPage, high, known.calls, 3)).reverse());

    const endTransfers = await everyRow(transfersPage, high, 100);
    const endCalls = await everyRow(callsPage, high, 100);
    const above = (end: string[], start: string[]) => end.slice(0, end.length - start.length).reverse();
    expect(seen.transfers.length).toBeGreaterThan(10);
    expect(seen.calls.length).toBeGreaterThan(5);
    // What the poller collected is exactly what committed: nothing skipped, nothing twice, in order.
    expect(seen.transfers).toEqual(above(endTransfers, startTransfers));
    expect(seen.calls).toEqual(above(endCalls, startCalls));
    expect(endTransfers.slice(endTransfers.length - startTransfers.length)).toEqual(startTransfers);
  });
});
