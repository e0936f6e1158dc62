import { randomBytes } from 'node:crypto';
import {
  AddSubAccountDocument, AdjustWalletBalanceDocument, CreateAgencyDocument, CreateApiKeyDocument,
  SetAgencyMarkupDocument, SetLowBalanceThresholdDocument, type Role,
} from '../../schema/generated/operations';
import { noUserErrors, type GraphQLCall } from './graphql-client';

/** A sub-account of the demo and how its calls are simulated. */
export interface DemoSubAccount {
  id: string;
  name: string;
  /** Relative share of the simulated calls. */
  callWeight: number;
  /** Share of its calls in the Premium tier (the rest Basic). */
  premiumShare: number;
}

export interface DemoSetup {
  /** The run's tag, in the agency's name and every simulated call's externalCallId. */
  runId: string;
  agencyId: string;
  agencyName: string;
  subAccounts: DemoSubAccount[];
  /** One secret per role; CLIENT_ADMIN is scoped to `clientAdminSubAccount`. */
  keys: Record<Role, string>;
  clientAdminSubAccount: DemoSubAccount;
}

interface Client {
  name: string;
  /** Dollars put in the wallet at setup. */
  balance: string;
  threshold: string;
  markup?: { basic: string; premium: string };
  applyBasePrice?: boolean;
  /** Days before now its billing cycle is anchored. */
  cycleStartedDaysAgo: number;
  callWeight: number;
  premiumShare: number;
}

/**
 * The clients of the demo agency: every markup rule (the agency's default, an override, the
 * base price), balances from comfortable to just above the threshold (so a threshold marker
 * shows within the first minute of calls), and billing cycles anchored on different days.
 */
const CLIENTS: Client[] = [
  { name: 'Acme Dental', balance: '40', threshold: '10', cycleStartedDaysAgo: 3, callWeight: 3, premiumShare: 0.8 },
  { name: 'Bright Realty', balance: '12', threshold: '10', markup: { basic: '0.05', premium: '0.08' }, cycleStartedDaysAgo: 12, callWeight: 2, premiumShare: 1 },
  { name: 'Cobalt Legal', balance: '100', threshold: '20', applyBasePrice: true, cycleStartedDaysAgo: 20, callWeight: 2, premiumShare: 0.5 },
  { name: 'Delta Fitness', balance: '6', threshold: '5', markup: { basic: '0.01', premium: '0.02' }, cycleStartedDaysAgo: 27, callWeight: 1, premiumShare: 0.2 },
];
const PRIMARY = { balance: '250', cycleStartedDaysAgo: 8, callWeight: 1, premiumShare: 1 };

/**
 * Creates the demo through the public API with a platform admin key: a fresh agency each run
 * (named with the run's time and tag, so runs never collide and nothing of an earlier run is
 * touched), its clients with their markups, balances and thresholds, and one key per role.
 */
export async function setUpDemo(gql: GraphQLCall, platformKey: string, now = new Date()): Promise<DemoSetup> {
  const runId = randomBytes(3).toString('hex');
  const agencyName = `Demo agency ${now.toISOString().slice(0, 16).replace('T', ' ')} (${runId})`;
  const email = (label: string) => `${label}-${runId}@demo.example.com`;
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  const created = noUserErrors('createAgency', (await gql(CreateAgencyDocument, {
    // Anchored days ago, like the clients: a call that started before the agency existed
    // would count in a cycle before the current one.
    input: { name: agencyName, planCode: 'AGENCY_UNLIMITED', primaryLoginEmail: email('owner'), planStartedAt: daysAgo(PRIMARY.cycleStartedDaysAgo) },
  }, platformKey)).createAgency);
  const agencyId = created.agency!.id;
  noUserErrors('setAgencyMarkup', (await gql(SetAgencyMarkupDocument, { input: { agencyId, basic: '0.02', premium: '0.04' } }, platformKey)).setAgencyMarkup);

  const fund = async (subAccountId: string, amount: string) =>
    noUserErrors('adjustWalletBalance', (await gql(AdjustWalletBalanceDocument, {
      input: { subAccountId, amount, reason: 'demo: opening balance', idempotencyKey: `demo-${runId}-open-${subAccountId}` },
    }, platformKey)).adjustWalletBalance);

  const primaryId = created.agency!.primarySubAccount.id;
  await fund(primaryId, PRIMARY.balance);
  const subAccounts: DemoSubAccount[] = [{ id: primaryId, name: agencyName, callWeight: PRIMARY.callWeight, premiumShare: PRIMARY.premiumShare }];
  for (const client of CLIENTS) {
    const added = noUserErrors('addSubAccount', (await gql(AddSubAccountDocument, {
      input: {
        agencyId, name: client.name, loginEmail: email(client.name.toLowerCase().replace(/\W+/g, '-')), subscriptionStartedAt: daysAgo(client.cycleStartedDaysAgo),
        ...(client.markup ? { markupBasic: client.markup.basic, markupPremium: client.markup.premium } : {}),
        ...(client.applyBasePrice ? { applyBasePrice: true } : {}),
      },
    }, platformKey)).addSubAccount);
    const id = added.subAccount!.id;
    noUserErrors('setLowBalanceThreshold', (await gql(SetLowBalanceThresholdDocument, { input: { subAccountId: id, threshold: client.threshold } }, platformKey)).setLowBalanceThreshold);
    await fund(id, client.balance);
    subAccounts.push({ id, name: client.name, callWeight: client.callWeight, premiumShare: client.premiumShare });
  }

  const clientAdminSubAccount = subAccounts[1];
  const key = async (role: Role, scope: { agencyId?: string; subAccountId?: string }) =>
    noUserErrors('createApiKey', (await gql(CreateApiKeyDocument, { input: { name: `demo ${runId} ${role.toLowerCase()}`, role, ...scope } }, platformKey)).createApiKey).secret!;
  const keys: Record<Role, string> = {
    PLATFORM_ADMIN: platformKey,
    AGENCY_ADMIN: await key('AGENCY_ADMIN', { agencyId }),
    CLIENT_ADMIN: await key('CLIENT_ADMIN', { subAccountId: clientAdminSubAccount.id }),
    USAGE_INGEST: await key('USAGE_INGEST', { agencyId }),
  };
  return { runId, agencyId, agencyName, subAccounts, keys, clientAdminSubAccount };
}
