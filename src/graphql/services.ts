import type { DataSource } from 'typeorm';
import type { Logger } from '../shared/logger';
import { AgencyService } from '../modules/agency/agency.service';
import { grantIncludedMinutes } from '../modules/plan-allocation/plan-allocation.service';
import { SubAccountService } from '../modules/sub-account/sub-account.service';
import { ApiKeyService } from '../modules/auth/api-key.service';
import type { ApiKeyRevocations } from '../modules/auth/api-key-revocations';
import { PlanService } from '../modules/plan/plan.service';
import { TransferService } from '../modules/transfer/transfer.service';
import { TransferBatcher } from '../modules/ledger/transfer-batcher';
import { WalletService } from '../modules/wallet/wallet.service';
import { ProfitService } from '../modules/ledger/profit.service';
import { ScenarioService } from '../modules/usage/scenario.service';
import { UsageIngestService } from '../modules/usage/usage-ingest.service';
import { CallService } from '../modules/usage/call.service';
import { UsageReportService } from '../modules/reporting/usage-report.service';
import { HealthService } from '../modules/health/health.service';
import { StatementService } from '../modules/statement/statement.service';
import { systemClock, type Clock } from '../shared/clock';
import { BillingService } from '../modules/billing/billing.service';
import type { PaymentGateway } from '../modules/billing/payment-gateway';
import { SandboxGateway } from '../modules/billing/sandbox-gateway';
import { PAYOUT_EVENT_TYPES, PayoutService } from '../modules/payout/payout.service';
import { AutoAllocationService } from '../modules/auto-allocation/auto-allocation.service';

/**
 * The service instances, created once at startup and shared by every request.
 * @param options.revocations this process's revocation cache (WebSocket re-checks), told of local revocations.
 * @param options.logger where a batch item that fails alone is logged.
 * @param options.clock dates sub-account changes (tests walking through billing cycles pass their own).
 * @param options.payments the payment provider (`createPaymentGateway`); sandbox mode when omitted.
 * @param options.onBatch told of every group-commit statement, by batcher and size (metrics).
 */
export function createServices(
  dataSource: DataSource,
  options: {
    revocations?: ApiKeyRevocations; logger?: Logger; clock?: Clock; payments?: PaymentGateway;
    onBatch?: (batcher: 'transfer', size: number) => void;
  } = {},
) {
  const { revocations, logger, clock = systemClock, onBatch } = options;
  const transferBatcher = new TransferBatcher(dataSource, 1, onBatch && ((size) => onBatch('transfer', size)));
  const payments = options.payments ?? new SandboxGateway();
  const billing = new BillingService(dataSource, payments, logger);
  const payout = new PayoutService(dataSource, payments, logger);
  // Connect's events arrive at billing's one webhook and are processed there exactly once.
  billing.handleEvents(PAYOUT_EVENT_TYPES, (em, event) => payout.applyEvent(em, event));
  return {
    /** Group commit of minute transfers (its `stats` for benchmarks). */
    transferBatcher,
    plan: new PlanService(dataSource),
    agency: new AgencyService(dataSource, grantIncludedMinutes, clock),
    subAccount: new SubAccountService(dataSource, clock),
    apiKey: new ApiKeyService(dataSource, revocations),
    transfer: new TransferService(dataSource, transferBatcher),
    wallet: new WalletService(dataSource),
    profit: new ProfitService(dataSource),
    scenario: new ScenarioService(dataSource),
    usageIngest: new UsageIngestService(dataSource, logger),
    call: new CallService(dataSource),
    usageReport: new UsageReportService(),
    health: new HealthService(),
    statement: new StatementService(dataSource, clock),
    billing,
    payout,
    autoAllocation: new AutoAllocationService(dataSource, billing, clock, logger),
  };
}
export type Services = ReturnType<typeof createServices>;
