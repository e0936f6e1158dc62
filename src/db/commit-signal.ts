import type { DataSource } from 'typeorm';

/**
 * Tells the DataSource's subscribers (the event hub) that a transaction committed.
 * TypeORM does so itself after the transactions it runs; a statement sent in autocommit
 * (the transfer batcher's one-statement batches) is its own transaction, which TypeORM
 * does not see, so its caller signals after the statement returns.
 */
export function signalCommitted(dataSource: DataSource): void {
  for (const subscriber of dataSource.subscribers) {
    void subscriber.afterTransactionCommit?.({ dataSource, connection: dataSource, manager: dataSource.manager, queryRunner: undefined as never });
  }
}
