import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The table of rate-limiter-flexible's PostgreSQL store (RateLimiterPostgres with
 * `schemaName: 'rate_limit'`, `tableName: 'counters'`, `tableCreated: true`): one
 * fixed-window counter per key. Created here rather than by the library at runtime, so the
 * API needs no DDL rights and every replica starts with the table in place.
 *
 * In a schema of its own: the counters are not domain data, and whatever reads or digests
 * the domain tables (`public`) must not see them change with every request.
 *
 * The columns are the library's own (`key`, `points`, `expire` in epoch ms); it upserts
 * `points` and reads `expire`. UNLOGGED: a counter describes one window and is worthless
 * after it, so it needs no WAL (its writes never wait for a WAL flush and never compete with
 * the ledger's commits); a crash or a failover to a standby forgets the current windows,
 * which lets one window's worth of extra requests through, once. The index on `expire`
 * serves the library's periodic `DELETE … WHERE expire < $1` of expired counters.
 */
export class RateLimits1765100000000 implements MigrationInterface {
  name = 'RateLimits1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA rate_limit`);
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit.counters (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await q.query(`CREATE INDEX counters_expire_idx ON rate_limit.counters (expire)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA rate_limit CASCADE`);
  }
}
