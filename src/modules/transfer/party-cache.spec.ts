import { PartyCache } from './party-cache';
import type { PartyRow } from './party-lookup';

const row = (id: string, status: PartyRow['status'] = 'ACTIVE'): PartyRow => ({
  id, agency_id: 'agency', kind: 'SECONDARY', status, apply_base_price: false, markup_basic_micros: null,
  markup_premium_micros: null, wallet_id: `wallet-${id}`, plan_code: 'AGENCY_UNLIMITED', default_markup_basic_micros: '0',
  default_markup_premium_micros: '0', basic_price_micros: '90000', premium_price_micros: '160000', key_used: true,
});

describe('PartyCache', () => {
  it('answers for a pair only when both are remembered, without the per-request key_used', () => {
    const cache = new PartyCache();
    cache.remember([row('a')]);
    expect(cache.get('a', 'b')).toBeUndefined();
    cache.remember([row('b')]);
    const pair = cache.get('a', 'b')!;
    expect(pair.map((p) => p.id)).toEqual(['a', 'b']);
    expect(pair[0]).not.toHaveProperty('key_used');
  });

  it('keeps no removed sub-account, and drops one it held when it is seen removed', () => {
    const cache = new PartyCache();
    cache.remember([row('a'), row('b', 'REMOVED')]);
    expect(cache.size).toBe(1);
    cache.remember([row('a', 'REMOVED')]);
    expect(cache.size).toBe(0);
  });

  it('forgets on request', () => {
    const cache = new PartyCache();
    cache.remember([row('a'), row('b')]);
    cache.forget('a');
    expect(cache.get('a', 'b')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('stays within its capacity, dropping the entry used least recently', () => {
    const cache = new PartyCache(3);
    cache.remember([row('a'), row('b'), row('c')]);
    expect(cache.get('a', 'b')).toBeDefined(); // c is now the least recently used
    cache.remember([row('d')]);
    expect(cache.size).toBe(3);
    expect(cache.get('c', 'a')).toBeUndefined();
    expect(cache.get('a', 'd')).toBeDefined();
  });
});
