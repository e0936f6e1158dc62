import type { DataSource } from 'typeorm';
import { AgencyService } from '../modules/agency/agency.service';
import { SubAccountService } from '../modules/sub-account/sub-account.service';
import { ApiKeyService } from '../modules/auth/api-key.service';
import { PlanService } from '../modules/plan/plan.service';
import { TransferService } from '../modules/transfer/transfer.service';
import { TransferBatcher } from '../modules/ledger/transfer-batcher';
import { WalletService } from '../modules/wallet/wallet.service';
import { ProfitService } from '../modules/ledger/profit.service';
import { ScenarioService } from '../modules/usage/scenario.service';
import { UsageIngestService } from '../modules/usage/usage-ingest.service';
import { CallService } from '../modules/usage/call.service';
import { UsageReportService } from '../modules/reporting/usage-report.service';
import { systemClock, type Clock } from '../shared/clock';

/**
 * The service instances, created once at startup and shared by every request. `clock` dates
 * sub-account changes (tests walking through billing cycles pass their own).
 */
export function createServices(dataSource: DataSource, clock: Clock = systemClock) {
  const transferBatcher = new TransferBatcher(dataSource);
  return {
    /** Group commit of minute transfers (its `stats` for benchmarks). */
    transferBatcher,
    plan: new PlanService(dataSource),
    agency: new AgencyService(dataSource, clock),
    subAccount: new SubAccountService(dataSource, clock),
    apiKey: new ApiKeyService(dataSource),
    transfer: new TransferService(dataSource, transferBatcher),
    wallet: new WalletService(dataSource),
    profit: new ProfitService(dataSource),
    scenario: new ScenarioService(dataSource),
    usageIngest: new UsageIngestService(dataSource),
    call: new CallService(dataSource),
    usageReport: new UsageReportService(),
  };
}
export type Services = ReturnType<typeof createServices>;
