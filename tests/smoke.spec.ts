import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency } from './helpers/fixtures';

describe('the API over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('should answer the viewer of the platform key', async () => {
    expect(ok(await app.gql('{ viewer { role } }')).viewer.role).toBe('PLATFORM_ADMIN');
  });

  it('should refuse a request without credentials with UNAUTHENTICATED', async () => {
    const response = await app.gql('{ viewer { role } }', {}, null);
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
  });

  it('should create an agency and add a sub-account', async () => {
    const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
    const subId = await addSubAccount(app, agencyId);
    const data = ok(
      await app.gql(`query($id: ID!) { subAccount(id: $id) { kind status wallet { balance { amount } } agency { id } } }`, {
        id: subId,
      }),
    );
    expect(data.subAccount).toEqual({ kind: 'SECONDARY', status: 'ACTIVE', wallet: { balance: { amount: '0.00' } }, agency: { id: agencyId } });
  });
});
