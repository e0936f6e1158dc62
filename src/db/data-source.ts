import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { InitialSchema1764000000000 } from '../../migrations/1764000000000-InitialSchema';
import { Ledger1764100000000 } from '../../migrations/1764100000000-Ledger';
import { LedgerPostFunction1764150000000 } from '../../migrations/1764150000000-LedgerPostFunction';
import { Usage1764200000000 } from '../../migrations/1764200000000-Usage';
import { Outbox1764300000000 } from '../../migrations/1764300000000-Outbox';
import { UsageHotPaths1764500000000 } from '../../migrations/1764500000000-UsageHotPaths';
import { LedgerPostBatch1764600000000 } from '../../migrations/1764600000000-LedgerPostBatch';
import { LedgerPostSetBased1764700000000 } from '../../migrations/1764700000000-LedgerPostSetBased';
import { LedgerPostPriced1764800000000 } from '../../migrations/1764800000000-LedgerPostPriced';
import { OutboxByAgency1764900000000 } from '../../migrations/1764900000000-OutboxByAgency';
import { PlanLegacy1765010000000 } from '../../migrations/1765010000000-PlanLegacy';
import { SubAccountActiveSince1765020000000 } from '../../migrations/1765020000000-SubAccountActiveSince';
import { RateLimits1765100000000 } from '../../migrations/1765100000000-RateLimits';
import { CallsByRecordedAt1765200000000 } from '../../migrations/1765200000000-CallsByRecordedAt';
import { HealthLevels1765210000000 } from '../../migrations/1765210000000-HealthLevels';
import { AutoAllocation1765500000000 } from '../../migrations/1765500000000-AutoAllocation';
import { OutboxRetentionMark1765400000000 } from '../../migrations/1765400000000-OutboxRetentionMark';
import { Payouts1765600000000 } from '../../migrations/1765600000000-Payouts';
import { PaymentReversals1765700000000 } from '../../migrations/1765700000000-PaymentReversals';
import { RecordingOrder1765800000000 } from '../../migrations/1765800000000-RecordingOrder';
import { BalanceCrossing1765900000000 } from '../../migrations/1765900000000-BalanceCrossing';
import { DropSupersededPostings1765900000001 } from '../../migrations/1765900000001-DropSupersededPostings';
import { Payments1765300000000 } from '../../migrations/1765300000000-Payments';
import { AutoRecharge1765300000001 } from '../../migrations/1765300000001-AutoRecharge';
import { PlanEntity } from '../modules/plan/plan.entity';
import { AgencyEntity } from '../modules/agency/agency.entity';
import { SubAccountEntity } from '../modules/sub-account/sub-account.entity';
import { WalletEntity } from '../modules/wallet/wallet.entity';
import { ApiKeyEntity } from '../modules/auth/api-key.entity';
import { LedgerAccountEntity, LedgerTransferEntity } from '../modules/ledger/ledger.entities';
import { ScenarioEntity } from '../modules/usage/scenario.entity';
import { CallEntity } from '../modules/usage/call.entity';

export const ENTITIES = [
  PlanEntity, AgencyEntity, SubAccountEntity, WalletEntity, ApiKeyEntity, LedgerAccountEntity, LedgerTransferEntity,
  ScenarioEntity, CallEntity,
];
/** In order. Listed explicitly (no globs) so the same list works from ts-jest and from dist/. */
export const MIGRATIONS = [InitialSchema1764000000000, Ledger1764100000000, LedgerPostFunction1764150000000, Usage1764200000000,
  Outbox1764300000000, UsageHotPaths1764500000000, LedgerPostBatch1764600000000, LedgerPostSetBased1764700000000,
  LedgerPostPriced1764800000000, OutboxByAgency1764900000000, PlanLegacy1765010000000, SubAccountActiveSince1765020000000,
  RateLimits1765100000000, CallsByRecordedAt1765200000000, HealthLevels1765210000000, Payments1765300000000,
  AutoRecharge1765300000001, OutboxRetentionMark1765400000000, AutoAllocation1765500000000, Payouts1765600000000, PaymentReversals1765700000000,
  RecordingOrder1765800000000,
  BalanceCrossing1765900000000, DropSupersededPostings1765900000001,
];

/**
 * Counts SQL statements per process. Tests read it to prove a page of sub-accounts costs a
 * constant number of queries whatever its size; it is two integer additions per query.
 */
export class QueryCounter implements TypeOrmLogger {
  count = 0;
  logQuery(): void {
    this.count += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logger: new QueryCounter(),
    // connectionTimeoutMillis: a request fails (SERVICE_UNAVAILABLE, retryable) after 10 s
    // instead of hanging when the database does not answer a connect at all (a dropped
    // network path; a stopped server refuses at once). It also bounds the wait for a free
    // connection of a saturated pool.
    extra: { max: poolSize, application_name: 'voice-minutes-api', connectionTimeoutMillis: 10_000 },
  });
}

export function queryCounter(dataSource: DataSource): QueryCounter {
  return dataSource.logger as QueryCounter;
}
