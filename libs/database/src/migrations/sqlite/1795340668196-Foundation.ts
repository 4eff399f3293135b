import { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795340668196 implements MigrationInterface {
  name = 'Foundation1795340668196';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "users" ("id" varchar PRIMARY KEY NOT NULL, "email" varchar(254) NOT NULL, "name" varchar(200) NOT NULL, "password_hash" varchar(255) NOT NULL, "is_admin" boolean NOT NULL DEFAULT (0), "disabled" boolean NOT NULL DEFAULT (0), "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "last_login_at" timestamptz)',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email") ');
    await queryRunner.query(
      'CREATE TABLE "sessions" ("id" varchar PRIMARY KEY NOT NULL, "user_id" varchar NOT NULL, "token_hash" varchar(64) NOT NULL, "previous_token_hash" varchar(64), "generation" integer NOT NULL DEFAULT (0), "created_at" timestamptz NOT NULL, "expires_at" timestamptz NOT NULL, "last_used_at" timestamptz, "revoked_at" timestamptz, "revoked_reason" varchar(32), "user_agent" varchar(300), CONSTRAINT "fk_sessions_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query('CREATE INDEX "ix_sessions_user_id" ON "sessions" ("user_id") ');
    await queryRunner.query(
      'CREATE TABLE "api_keys" ("id" varchar PRIMARY KEY NOT NULL, "project_id" varchar NOT NULL, "name" varchar(100) NOT NULL, "prefix" varchar(16) NOT NULL, "key_hash" varchar(64) NOT NULL, "scopes" text NOT NULL, "created_by" varchar NOT NULL, "created_at" timestamptz NOT NULL, "expires_at" timestamptz, "revoked_at" timestamptz, "last_used_at" timestamptz, CONSTRAINT "fk_api_keys_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_api_keys_creator" FOREIGN KEY ("created_by") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query('CREATE INDEX "ix_api_keys_project_id" ON "api_keys" ("project_id") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash") ');
    await queryRunner.query('CREATE INDEX "ix_api_keys_created_by" ON "api_keys" ("created_by") ');
    await queryRunner.query(
      'CREATE TABLE "projects" ("id" varchar PRIMARY KEY NOT NULL, "slug" varchar(63) NOT NULL, "name" varchar(200) NOT NULL, "description" varchar(2000), "created_by" varchar, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, CONSTRAINT "fk_projects_creator" FOREIGN KEY ("created_by") REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "uq_projects_slug" ON "projects" ("slug") ');
    await queryRunner.query(
      'CREATE TABLE "memberships" ("project_id" varchar NOT NULL, "user_id" varchar NOT NULL, "role" varchar(16) NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, CONSTRAINT "fk_memberships_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_memberships_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("project_id", "user_id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_memberships_user_id" ON "memberships" ("user_id") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "memberships"');
    await queryRunner.query('DROP TABLE "projects"');
    await queryRunner.query('DROP TABLE "api_keys"');
    await queryRunner.query('DROP TABLE "sessions"');
    await queryRunner.query('DROP TABLE "users"');
  }
}
