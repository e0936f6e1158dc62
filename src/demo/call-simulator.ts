import { AdjustWalletBalanceDocument, IngestCallUsageDocument, WalletBalancesDocument, type CallStatus } from '../../schema/generated/operations';
import { parseMicros } from '../shared/money';
import { noUserErrors, type GraphQLCall } from './graphql-client';
import type { DemoSetup, DemoSubAccount } from './demo-setup';

/** A seeded generator (mulberry32): the same seed gives the same stream of calls. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const STATUSES: Array<[CallStatus, number]> = [['COMPLETED', 0.75], ['NO_ANSWER', 0.1], ['VOICEMAIL', 0.08], ['BUSY', 0.04], ['FAILED', 0.03]];
/** A wallet this far below zero gets a top-up, as a client buying minutes would (a BALANCE_RECOVERED on the monitor). */
const TOP_UP_BELOW_MICROS = -2_000_000n;
const TOP_UP_AMOUNT = '30';
/** Balances are checked for top-ups every this many calls. */
const TOP_UP_EVERY = 10;

function pick<T>(random: () => number, items: ReadonlyArray<[T, number]>): T {
  const total = items.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [item, weight] of items) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1][0];
}

/**
 * The voice platform of the demo: finished calls sent with the USAGE_INGEST key through
 * recordCallUsage (the real ingest path: validation, pricing, the group-committed debit and
 * its events), and, every few calls, a top-up of the wallets gone below −$2.
 */
export class CallSimulator {
  private count = 0;

  constructor(
    private readonly gql: GraphQLCall,
    private readonly demo: DemoSetup,
    private readonly random: () => number = seededRandom(Date.now()),
  ) {}

  /** Calls recorded so far. */
  get recorded(): number {
    return this.count;
  }

  /** Records one call (and the top-ups due); resolves with what was recorded. */
  async step(now = new Date()): Promise<{ subAccount: DemoSubAccount; externalCallId: string; durationSeconds: number; status: CallStatus }> {
    const subAccount = pick(this.random, this.demo.subAccounts.map((s): [DemoSubAccount, number] => [s, s.callWeight]));
    const status = pick(this.random, STATUSES);
    const durationSeconds = status === 'COMPLETED' ? 30 + Math.floor(this.random() * 390) : Math.floor(this.random() * 40);
    const tier = this.random() < subAccount.premiumShare ? 'PREMIUM' : 'BASIC';
    this.count += 1;
    const externalCallId = `demo-${this.demo.runId}-${this.count}`;
    // A finished call: it started its duration (and a second) ago.
    const startedAt = new Date(now.getTime() - (durationSeconds + 1) * 1000).toISOString();
    noUserErrors('recordCallUsage', (await this.gql(IngestCallUsageDocument, {
      input: { subAccountId: subAccount.id, externalCallId, tier, status, durationSeconds, startedAt },
    }, this.demo.keys.USAGE_INGEST)).recordCallUsage);
    if (this.count % TOP_UP_EVERY === 0) await this.topUp();
    return { subAccount, externalCallId, durationSeconds, status };
  }

  private async topUp(): Promise<void> {
    const { agency } = await this.gql(WalletBalancesDocument, { id: this.demo.agencyId, first: 100 }, this.demo.keys.AGENCY_ADMIN);
    for (const { node } of agency?.subAccounts.edges ?? []) {
      const micros = parseMicros(node.wallet.balance.amount);
      if (micros === undefined || micros >= TOP_UP_BELOW_MICROS) continue;
      noUserErrors('adjustWalletBalance', (await this.gql(AdjustWalletBalanceDocument, {
        input: { subAccountId: node.id, amount: TOP_UP_AMOUNT, reason: 'demo: client bought minutes', idempotencyKey: `demo-${this.demo.runId}-topup-${this.count}-${node.id}` },
      }, this.demo.keys.PLATFORM_ADMIN)).adjustWalletBalance);
    }
  }
}
