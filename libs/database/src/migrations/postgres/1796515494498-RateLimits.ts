import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counts shared by the instances (PostgresRateLimits). Written by hand: no entity
 * maps them (they are read and written by raw statements), so the generator does not see them;
 * SQLite has no migration because one instance counts in memory. UNLOGGED: counts need no
 * crash safety or replica, and a hit then commits without waiting for the WAL.
 */
export class RateLimits1796515494498 implements MigrationInterface {
  name = 'RateLimits1796515494498';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE UNLOGGED TABLE "rate_limit_windows" ("key" character varying(128) NOT NULL, "count" integer NOT NULL, "reset_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_rate_limit_windows" PRIMARY KEY ("key"))',
    );
    await queryRunner.query(
      'CREATE UNLOGGED TABLE "rate_limit_slots" ("key" character varying(128) NOT NULL, "leases" jsonb NOT NULL, CONSTRAINT "pk_rate_limit_slots" PRIMARY KEY ("key"))',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "rate_limit_slots"');
    await queryRunner.query('DROP TABLE "rate_limit_windows"');
  }
}
