import { toPostingItem, type TransferRequest } from './ledger.service';

const request = (extra: Partial<TransferRequest> = {}): TransferRequest => ({
  agencyId: 'agency', kind: 'MINUTE_TRANSFER', debit: { id: 'w1', type: 'WALLET' }, credit: { id: 'w2', type: 'WALLET' },
  amountMicros: 100n, activeSubAccountIds: ['s1', 's2'], ...extra,
});

describe('toPostingItem', () => {
  it('carries the prices of a priced transfer, as decimal strings', () => {
    const item = toPostingItem(request({ pricedAt: [{ subAccountId: 's1', priceMicros: 200_000n }, { subAccountId: 's2', priceMicros: 250_000n }] }));
    expect(item.prices).toEqual([{ sub_account_id: 's1', price_micros: '200000' }, { sub_account_id: 's2', price_micros: '250000' }]);
    expect(toPostingItem(request())).not.toHaveProperty('prices');
  });

  it('refuses a price of a sub-account the posting would not lock, and bad amounts or accounts', () => {
    expect(() => toPostingItem(request({ pricedAt: [{ subAccountId: 's3', priceMicros: 1n }] }))).toThrow(RangeError);
    expect(() => toPostingItem(request({ activeSubAccountIds: null, pricedAt: [{ subAccountId: 's1', priceMicros: 1n }] }))).toThrow(RangeError);
    expect(() => toPostingItem(request({ amountMicros: 0n }))).toThrow(RangeError);
    expect(() => toPostingItem(request({ credit: { id: 'w1', type: 'WALLET' } }))).toThrow(RangeError);
  });
});
