import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { ConnectStatus } from './connect-status';
import { PayoutRepository } from './payout.repository';

/** Per-request loaders of the payout module (merged into `createLoaders`); no tenancy checks here. */
export const payoutLoaders = {
  /** Connect status by agency id: one query for a page of agencies (NOT_CONNECTED without a row). */
  stripeConnectStatus: (dataSource: DataSource) => new DataLoader<string, ConnectStatus>(async (agencyIds) => {
    const rows = new Map((await new PayoutRepository(dataSource).connectAccountsOf(agencyIds)).map((r) => [r.agencyId, r.status]));
    return agencyIds.map((id) => rows.get(id) ?? 'NOT_CONNECTED');
  }),
};
