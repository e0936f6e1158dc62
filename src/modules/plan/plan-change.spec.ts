import { canChangeToPlan, fitsPlan } from './plan.service';

describe('canChangeToPlan', () => {
  it.each([
    ['a current plan from another current plan', { code: 'AGENCY_LITE', legacy: false }, 'KICKSTART', true],
    ['a current plan from the legacy plan (leaving it)', { code: 'AGENCY_UNLIMITED', legacy: false }, 'PARTNER_LEGACY', true],
    ['the legacy plan from a current plan', { code: 'PARTNER_LEGACY', legacy: true }, 'AGENCY_UNLIMITED', false],
    ['the legacy plan from KICKSTART', { code: 'PARTNER_LEGACY', legacy: true }, 'KICKSTART', false],
    ['the legacy plan the agency is already on (no move)', { code: 'PARTNER_LEGACY', legacy: true }, 'PARTNER_LEGACY', true],
    ['another legacy plan from a legacy plan', { code: 'OLD_GOLD', legacy: true }, 'PARTNER_LEGACY', false],
  ])('allows %s: %p', (_label, target, current, allowed) => {
    expect(canChangeToPlan(target, current)).toBe(allowed);
  });
});

describe('fitsPlan', () => {
  it.each([
    [1, 1, true],
    [1, 2, false],
    [3, 3, true],
    [null, 10_000, true],
  ])('with a cap of %p fits %p active: %p', (subAccountLimit, active, fits) => {
    expect(fitsPlan({ subAccountLimit }, active)).toBe(fits);
  });
});
