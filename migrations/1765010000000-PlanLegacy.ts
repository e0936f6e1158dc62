import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `plans.legacy`: a plan kept for the agencies already on it and offered to no one else.
 * `changeAgencyPlan` refuses to move an agency onto a legacy plan (PLAN_NOT_AVAILABLE);
 * only `createAgency` (platform admins) may still start one, for migrating partners.
 * PARTNER_LEGACY is the one: its monthly grants made it a way to create money for an
 * agency that moved itself onto it. Kept as data, like the rest of a plan, so retiring
 * another plan is an UPDATE, not a release.
 */
export class PlanLegacy1765010000000 implements MigrationInterface {
  name = 'PlanLegacy1765010000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plans ADD COLUMN legacy boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE plans SET legacy = true WHERE code = 'PARTNER_LEGACY'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE plans DROP COLUMN legacy`);
  }
}
