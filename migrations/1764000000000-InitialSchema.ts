import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Plans (seeded), agencies, sub-accounts, wallets and API keys.
 * Money columns are integer micro-dollars (`*_micros bigint`). Timestamps that page lists are
 * kept to the millisecond, the precision of a JS Date, so keyset cursors compare exactly.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE plans (
        code text PRIMARY KEY,
        name text NOT NULL,
        sort_order int NOT NULL,
        sub_account_limit int CHECK (sub_account_limit IS NULL OR sub_account_limit >= 1),
        basic_price_micros bigint NOT NULL CHECK (basic_price_micros > 0),
        premium_price_micros bigint NOT NULL CHECK (premium_price_micros > 0),
        included_basic_minutes int NOT NULL DEFAULT 0 CHECK (included_basic_minutes >= 0),
        included_premium_minutes int NOT NULL DEFAULT 0 CHECK (included_premium_minutes >= 0),
        included_minutes_monthly boolean NOT NULL DEFAULT false,
        monthly_secondary_premium_minutes int NOT NULL DEFAULT 0 CHECK (monthly_secondary_premium_minutes >= 0)
      )`);
    await q.query(`
      INSERT INTO plans (code, name, sort_order, sub_account_limit, basic_price_micros, premium_price_micros,
                         included_basic_minutes, included_premium_minutes, included_minutes_monthly,
                         monthly_secondary_premium_minutes)
      VALUES ('KICKSTART',        'Kickstart',        1, 1,    90000, 160000, 0, 100,  false, 0),
             ('AGENCY_LITE',      'Agency Lite',      2, 3,    90000, 160000, 0, 300,  false, 0),
             ('AGENCY_UNLIMITED', 'Agency Unlimited', 3, NULL, 90000, 160000, 0, 1000, false, 0),
             ('PARTNER_LEGACY',   'Partner (legacy)', 4, NULL, 90000, 160000, 0, 2000, true,  200)`);

    await q.query(`
      CREATE TABLE agencies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        plan_code text NOT NULL REFERENCES plans(code),
        plan_started_at timestamptz NOT NULL,
        default_markup_basic_micros bigint NOT NULL DEFAULT 0 CHECK (default_markup_basic_micros >= 0),
        default_markup_premium_micros bigint NOT NULL DEFAULT 0 CHECK (default_markup_premium_micros >= 0),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    await q.query(`CREATE INDEX agencies_created_at_idx ON agencies (created_at, id)`);

    await q.query(`
      CREATE TABLE sub_accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id uuid NOT NULL REFERENCES agencies(id),
        kind text NOT NULL CHECK (kind IN ('PRIMARY', 'SECONDARY')),
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'REMOVED')),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        login_email text NOT NULL CHECK (length(login_email) BETWEEN 3 AND 254),
        markup_basic_micros bigint CHECK (markup_basic_micros >= 0),
        markup_premium_micros bigint CHECK (markup_premium_micros >= 0),
        apply_base_price boolean NOT NULL DEFAULT false,
        subscription_started_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        removed_at timestamptz,
        -- The primary always pays the base price and is never removed.
        CHECK (kind <> 'PRIMARY' OR (apply_base_price AND status = 'ACTIVE')),
        CHECK ((status = 'REMOVED') = (removed_at IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX sub_accounts_one_primary_idx ON sub_accounts (agency_id) WHERE kind = 'PRIMARY'`);
    // Login emails identify a person on the voice platform: unique among active sub-accounts, whatever the case.
    await q.query(`CREATE UNIQUE INDEX sub_accounts_active_email_idx ON sub_accounts (lower(login_email)) WHERE status = 'ACTIVE'`);
    await q.query(`CREATE INDEX sub_accounts_agency_idx ON sub_accounts (agency_id, created_at, id)`);

    await q.query(`
      CREATE TABLE wallets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sub_account_id uuid NOT NULL UNIQUE REFERENCES sub_accounts(id),
        balance_micros bigint NOT NULL DEFAULT 0,
        low_balance_threshold_micros bigint NOT NULL DEFAULT 5000000 CHECK (low_balance_threshold_micros >= 0),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        role text NOT NULL CHECK (role IN ('PLATFORM_ADMIN', 'AGENCY_ADMIN', 'CLIENT_ADMIN', 'USAGE_INGEST')),
        agency_id uuid REFERENCES agencies(id),
        sub_account_id uuid REFERENCES sub_accounts(id),
        secret_sha256 bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        revoked_at timestamptz,
        CHECK (CASE role
          WHEN 'PLATFORM_ADMIN' THEN agency_id IS NULL AND sub_account_id IS NULL
          WHEN 'CLIENT_ADMIN' THEN agency_id IS NOT NULL AND sub_account_id IS NOT NULL
          ELSE agency_id IS NOT NULL AND sub_account_id IS NULL END)
      )`);
    await q.query(`CREATE INDEX api_keys_agency_idx ON api_keys (agency_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE wallets`);
    await q.query(`DROP TABLE sub_accounts`);
    await q.query(`DROP TABLE agencies`);
    await q.query(`DROP TABLE plans`);
  }
}
