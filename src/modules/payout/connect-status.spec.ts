import { connectStatusOf } from './connect-status';

describe('connectStatusOf', () => {
  it.each([
    [{ details_submitted: true, payouts_enabled: true, charges_enabled: true }, 'CONNECTED'],
    [{ details_submitted: true, payouts_enabled: true, charges_enabled: false, capabilities: { transfers: 'active' } }, 'CONNECTED'],
    [{ details_submitted: true, payouts_enabled: true, charges_enabled: false, capabilities: { transfers: 'pending' } }, 'PENDING'],
    [{ details_submitted: false, payouts_enabled: true, charges_enabled: true }, 'PENDING'],
    [{ details_submitted: true, payouts_enabled: false, charges_enabled: true }, 'PENDING'],
    [{ details_submitted: 'true', payouts_enabled: 'true', charges_enabled: 'true' }, 'PENDING'],
    [{}, 'PENDING'],
  ])('should read %j as %s', (account, status) => {
    expect(connectStatusOf(account)).toBe(status);
  });
});
