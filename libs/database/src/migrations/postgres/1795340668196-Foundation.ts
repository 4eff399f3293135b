import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795340668196 implements MigrationInterface {
  name = 'Foundation1795340668196';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "users" ("id" uuid NOT NULL, "email" character varying(254) NOT NULL, "name" character varying(200) NOT NULL, "password_hash" character varying(255) NOT NULL, "is_admin" boolean NOT NULL DEFAULT false, "disabled" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_login_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_users" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_users_email" ON "users"  ("email") ');
    await queryRunner.query(
      'CREATE TABLE "sessions" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "token_hash" character varying(64) NOT NULL, "previous_token_hash" character varying(64), "generation" integer NOT NULL DEFAULT \'0\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" character varying(32), "user_agent" character varying(300), CONSTRAINT "pk_sessions" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_sessions_user_id" ON "sessions"  ("user_id") ');
    await queryRunner.query(
      'CREATE TABLE "api_keys" ("id" uuid NOT NULL, "project_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "prefix" character varying(16) NOT NULL, "key_hash" character varying(64) NOT NULL, "scopes" text NOT NULL, "created_by" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_api_keys_project_id" ON "api_keys"  ("project_id") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys"  ("key_hash") ');
    await queryRunner.query('CREATE INDEX "ix_api_keys_created_by" ON "api_keys"  ("created_by") ');
    await queryRunner.query(
      'CREATE TABLE "projects" ("id" uuid NOT NULL, "slug" character varying(63) NOT NULL, "name" character varying(200) NOT NULL, "description" character varying(2000), "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_projects" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_projects_slug" ON "projects"  ("slug") ');
    await queryRunner.query(
      'CREATE TABLE "memberships" ("project_id" uuid NOT NULL, "user_id" uuid NOT NULL, "role" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_memberships" PRIMARY KEY ("project_id", "user_id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_memberships_user_id" ON "memberships"  ("user_id") ');
    await queryRunner.query(
      'ALTER TABLE "sessions" ADD CONSTRAINT "fk_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys_creator" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "projects" ADD CONSTRAINT "fk_projects_creator" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "memberships" ADD CONSTRAINT "fk_memberships_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "memberships" ADD CONSTRAINT "fk_memberships_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "memberships" DROP CONSTRAINT "fk_memberships_user"');
    await queryRunner.query('ALTER TABLE "memberships" DROP CONSTRAINT "fk_memberships_project"');
    await queryRunner.query('ALTER TABLE "projects" DROP CONSTRAINT "fk_projects_creator"');
    await queryRunner.query('ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys_creator"');
    await queryRunner.query('ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys_project"');
    await queryRunner.query('ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_user"');
    await queryRunner.query('DROP INDEX "public"."ix_memberships_user_id"');
    await queryRunner.query('DROP TABLE "memberships"');
    await queryRunner.query('DROP INDEX "public"."uq_projects_slug"');
    await queryRunner.query('DROP TABLE "projects"');
    await queryRunner.query('DROP INDEX "public"."ix_api_keys_created_by"');
    await queryRunner.query('DROP INDEX "public"."uq_api_keys_key_hash"');
    await queryRunner.query('DROP INDEX "public"."ix_api_keys_project_id"');
    await queryRunner.query('DROP TABLE "api_keys"');
    await queryRunner.query('DROP INDEX "public"."ix_sessions_user_id"');
    await queryRunner.query('DROP TABLE "sessions"');
    await queryRunner.query('DROP INDEX "public"."uq_users_email"');
    await queryRunner.query('DROP TABLE "users"');
  }
}
