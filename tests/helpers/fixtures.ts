import { randomBytes } from 'node:crypto';
import { ok, type TestApp } from './test-app';

/** The uuid behind a global id ("Type:<uuid>" in base64url), for SQL checks. */
export const rawId = (globalId: string): string => Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];

export const uniqueEmail = (label = 'user') => `${label}-${randomBytes(5).toString('hex')}@example.com`;

export interface AgencyFixture {
  agencyId: string;
  primaryId: string;
}

/** Creates an agency as platform admin; fails the test on any error. */
export async function createAgency(
  app: TestApp,
  options: { name?: string; planCode?: string; planStartedAt?: string } = {},
): Promise<AgencyFixture> {
  const data = ok(
    await app.gql(
      `mutation($input: CreateAgencyInput!) {
        createAgency(input: $input) { agency { id primarySubAccount { id } } userErrors { code message field } }
      }`,
      {
        input: {
          name: options.name ?? 'Agency ' + randomBytes(3).toString('hex'),
          planCode: options.planCode ?? 'AGENCY_UNLIMITED',
          primaryLoginEmail: uniqueEmail('primary'),
          ...(options.planStartedAt ? { planStartedAt: options.planStartedAt } : {}),
        },
      },
    ),
  );
  if (data.createAgency.userErrors.length) throw new Error(JSON.stringify(data.createAgency.userErrors));
  return { agencyId: data.createAgency.agency.id, primaryId: data.createAgency.agency.primarySubAccount.id };
}

export async function addSubAccount(
  app: TestApp,
  agencyId: string,
  extra: Record<string, unknown> = {},
  token?: string,
): Promise<string> {
  const data = ok(
    await app.gql(
      `mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } userErrors { code message } } }`,
      { input: { agencyId, name: 'Client ' + randomBytes(3).toString('hex'), loginEmail: uniqueEmail('client'), ...extra } },
      token,
    ),
  );
  if (data.addSubAccount.userErrors.length) throw new Error(JSON.stringify(data.addSubAccount.userErrors));
  return data.addSubAccount.subAccount.id;
}

/** Creates an API key with the platform key and returns its secret. */
export async function createKey(
  app: TestApp,
  role: 'PLATFORM_ADMIN' | 'AGENCY_ADMIN' | 'CLIENT_ADMIN' | 'USAGE_INGEST',
  scope: { agencyId?: string; subAccountId?: string } = {},
): Promise<string> {
  const data = ok(
    await app.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } userErrors { code message } } }`,
      { input: { name: `${role} key`, role, ...scope } },
    ),
  );
  if (data.createApiKey.userErrors.length) throw new Error(JSON.stringify(data.createApiKey.userErrors));
  return data.createApiKey.secret;
}
