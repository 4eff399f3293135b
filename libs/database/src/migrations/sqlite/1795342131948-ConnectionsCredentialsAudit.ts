import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConnectionsCredentialsAudit1795342131948 implements MigrationInterface {
  name = 'ConnectionsCredentialsAudit1795342131948';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "audit_events" ("id" varchar PRIMARY KEY NOT NULL, "project_id" varchar, "actor_type" varchar(16) NOT NULL, "actor_user_id" varchar, "actor_api_key_id" varchar, "actor_label" varchar(254), "action" varchar(64) NOT NULL, "target_type" varchar(32) NOT NULL, "target_id" varchar(64), "target_name" varchar(254), "outcome" varchar(16) NOT NULL, "request_id" varchar(128), "ip" varchar(64), "details" text, "created_at" timestamptz NOT NULL, CONSTRAINT "fk_audit_events_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query('CREATE INDEX "ix_audit_events_project_action" ON "audit_events" ("project_id", "action") ');
    await queryRunner.query('CREATE INDEX "ix_audit_events_project_time" ON "audit_events" ("project_id", "created_at") ');
    await queryRunner.query(
      'CREATE TABLE "credentials" ("id" varchar PRIMARY KEY NOT NULL, "project_id" varchar NOT NULL, "name" varchar(63) NOT NULL, "type" varchar(16) NOT NULL, "description" varchar(2000), "fields" text NOT NULL, "secret_envelope" text, "secret_fields" text NOT NULL, "secret_fingerprint" varchar(80), "key_id" varchar(32), "owner_connection_id" varchar, "version" integer NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" varchar, CONSTRAINT "fk_credentials_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query('CREATE INDEX "ix_credentials_key_id" ON "credentials" ("key_id") ');
    await queryRunner.query('CREATE INDEX "ix_credentials_owner_connection_id" ON "credentials" ("owner_connection_id") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_credentials_project_name" ON "credentials" ("project_id", "name") ');
    await queryRunner.query(
      'CREATE TABLE "connections" ("id" varchar PRIMARY KEY NOT NULL, "project_id" varchar NOT NULL, "name" varchar(63) NOT NULL, "type" varchar(16) NOT NULL, "description" varchar(2000), "config" text NOT NULL, "credential_id" varchar, "owns_credential" boolean NOT NULL DEFAULT (0), "enabled" boolean NOT NULL DEFAULT (1), "labels" text NOT NULL, "version" integer NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" varchar, CONSTRAINT "fk_connections_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_connections_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION)',
    );
    await queryRunner.query('CREATE INDEX "ix_connections_credential_id" ON "connections" ("credential_id") ');
    await queryRunner.query('CREATE INDEX "ix_connections_project_type" ON "connections" ("project_id", "type") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_connections_project_name" ON "connections" ("project_id", "name") ');
    await queryRunner.query(
      'CREATE TABLE "connection_usages" ("connection_id" varchar NOT NULL, "consumer" varchar(200) NOT NULL, "project_id" varchar NOT NULL, "description" varchar(500), "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, CONSTRAINT "fk_connection_usages_connection" FOREIGN KEY ("connection_id") REFERENCES "connections" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connection_id", "consumer"))',
    );
    await queryRunner.query('CREATE INDEX "ix_connection_usages_project_id" ON "connection_usages" ("project_id") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "connection_usages"');
    await queryRunner.query('DROP TABLE "connections"');
    await queryRunner.query('DROP TABLE "credentials"');
    await queryRunner.query('DROP TABLE "audit_events"');
  }
}
