import { rateLimitKey } from './rate-limit-key';
import type { Viewer } from '../auth/role';

describe('rateLimitKey', () => {
  it.each<[string, Viewer, string]>([
    ['an API key by its id', { role: 'AGENCY_ADMIN', agencyId: 'a1', apiKeyId: 'k1', via: 'api-key' }, 'key:k1'],
    ['a JWT by its agency and subject', { role: 'AGENCY_ADMIN', agencyId: 'a1', subject: 'u7', via: 'jwt' }, 'jwt:a1:sub:u7'],
    ['a JWT without subject by agency, role and sub-account', { role: 'CLIENT_ADMIN', agencyId: 'a1', subAccountId: 's1', via: 'jwt' }, 'jwt:a1:CLIENT_ADMIN:s1'],
    ['a platform JWT by its subject', { role: 'PLATFORM_ADMIN', subject: 'ops', via: 'jwt' }, 'jwt:platform:sub:ops'],
    ['the platform key as one key', { role: 'PLATFORM_ADMIN', via: 'platform-key' }, 'platform'],
  ])('should key %s', (_case, viewer, expected) => {
    expect(rateLimitKey(viewer)).toBe(expected);
  });

  it('should keep a long subject as its hash, within the store\'s key length', () => {
    const key = rateLimitKey({ role: 'AGENCY_ADMIN', agencyId: 'a1', subject: 'x'.repeat(5000), via: 'jwt' });
    expect(key).toMatch(/^jwt:a1:sub:sha256:[0-9a-f]{64}$/);
  });

  it('should give the same subject of two agencies two budgets', () => {
    expect(rateLimitKey({ role: 'AGENCY_ADMIN', agencyId: 'a1', subject: 'u', via: 'jwt' }))
      .not.toBe(rateLimitKey({ role: 'AGENCY_ADMIN', agencyId: 'a2', subject: 'u', via: 'jwt' }));
  });
});
