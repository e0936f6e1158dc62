import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { BillingRepository, type AutoRechargeSettings } from './billing.repository';
import type { SavedCard } from './payment-gateway';

/** Per-request loaders of the billing module (merged into `createLoaders`); no tenancy checks here. */
export const billingLoaders = {
  /** Saved cards by sub-account id: one query for a page of sub-accounts. */
  paymentMethod: (dataSource: DataSource) => new DataLoader<string, SavedCard | null>(async (subAccountIds) => {
    const cards = new Map((await new BillingRepository(dataSource).customersOf(subAccountIds)).map((c) => [c.subAccountId, c.card]));
    return subAccountIds.map((id) => cards.get(id) ?? null);
  }),
  autoRecharge: (dataSource: DataSource) => new DataLoader<string, AutoRechargeSettings | null>(async (subAccountIds) => {
    const rows = new Map((await new BillingRepository(dataSource).autoRechargesOf(subAccountIds)).map((r) => [r.subAccountId, r]));
    return subAccountIds.map((id) => rows.get(id) ?? null);
  }),
};
