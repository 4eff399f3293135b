import { MigrationInterface, QueryRunner } from 'typeorm';

export class ConnectionsCredentialsAudit1795342131948 implements MigrationInterface {
  name = 'ConnectionsCredentialsAudit1795342131948';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "audit_events" ("id" uuid NOT NULL, "project_id" uuid, "actor_type" character varying(16) NOT NULL, "actor_user_id" uuid, "actor_api_key_id" uuid, "actor_label" character varying(254), "action" character varying(64) NOT NULL, "target_type" character varying(32) NOT NULL, "target_id" character varying(64), "target_name" character varying(254), "outcome" character varying(16) NOT NULL, "request_id" character varying(128), "ip" character varying(64), "details" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_audit_events" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_audit_events_project_action" ON "audit_events"  ("project_id", "action") ');
    await queryRunner.query('CREATE INDEX "ix_audit_events_project_time" ON "audit_events"  ("project_id", "created_at") ');
    await queryRunner.query(
      'CREATE TABLE "credentials" ("id" uuid NOT NULL, "project_id" uuid NOT NULL, "name" character varying(63) NOT NULL, "type" character varying(16) NOT NULL, "description" character varying(2000), "fields" text NOT NULL, "secret_envelope" text, "secret_fields" text NOT NULL, "secret_fingerprint" character varying(80), "key_id" character varying(32), "owner_connection_id" uuid, "version" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" uuid, CONSTRAINT "pk_credentials" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_credentials_key_id" ON "credentials"  ("key_id") ');
    await queryRunner.query('CREATE INDEX "ix_credentials_owner_connection_id" ON "credentials"  ("owner_connection_id") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_credentials_project_name" ON "credentials"  ("project_id", "name") ');
    await queryRunner.query(
      'CREATE TABLE "connections" ("id" uuid NOT NULL, "project_id" uuid NOT NULL, "name" character varying(63) NOT NULL, "type" character varying(16) NOT NULL, "description" character varying(2000), "config" text NOT NULL, "credential_id" uuid, "owns_credential" boolean NOT NULL DEFAULT false, "enabled" boolean NOT NULL DEFAULT true, "labels" text NOT NULL, "version" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" uuid, CONSTRAINT "pk_connections" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "ix_connections_credential_id" ON "connections"  ("credential_id") ');
    await queryRunner.query('CREATE INDEX "ix_connections_project_type" ON "connections"  ("project_id", "type") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_connections_project_name" ON "connections"  ("project_id", "name") ');
    await queryRunner.query(
      'CREATE TABLE "connection_usages" ("connection_id" uuid NOT NULL, "consumer" character varying(200) NOT NULL, "project_id" uuid NOT NULL, "description" character varying(500), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_connection_usages" PRIMARY KEY ("connection_id", "consumer"))',
    );
    await queryRunner.query('CREATE INDEX "ix_connection_usages_project_id" ON "connection_usages"  ("project_id") ');
    await queryRunner.query(
      'ALTER TABLE "audit_events" ADD CONSTRAINT "fk_audit_events_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "credentials" ADD CONSTRAINT "fk_credentials_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "connections" ADD CONSTRAINT "fk_connections_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "connections" ADD CONSTRAINT "fk_connections_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id") ON DELETE NO ACTION ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "connection_usages" ADD CONSTRAINT "fk_connection_usages_connection" FOREIGN KEY ("connection_id") REFERENCES "connections"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "connection_usages" DROP CONSTRAINT "fk_connection_usages_connection"');
    await queryRunner.query('ALTER TABLE "connections" DROP CONSTRAINT "fk_connections_credential"');
    await queryRunner.query('ALTER TABLE "connections" DROP CONSTRAINT "fk_connections_project"');
    await queryRunner.query('ALTER TABLE "credentials" DROP CONSTRAINT "fk_credentials_project"');
    await queryRunner.query('ALTER TABLE "audit_events" DROP CONSTRAINT "fk_audit_events_project"');
    await queryRunner.query('DROP INDEX "public"."ix_connection_usages_project_id"');
    await queryRunner.query('DROP TABLE "connection_usages"');
    await queryRunner.query('DROP INDEX "public"."uq_connections_project_name"');
    await queryRunner.query('DROP INDEX "public"."ix_connections_project_type"');
    await queryRunner.query('DROP INDEX "public"."ix_connections_credential_id"');
    await queryRunner.query('DROP TABLE "connections"');
    await queryRunner.query('DROP INDEX "public"."uq_credentials_project_name"');
    await queryRunner.query('DROP INDEX "public"."ix_credentials_owner_connection_id"');
    await queryRunner.query('DROP INDEX "public"."ix_credentials_key_id"');
    await queryRunner.query('DROP TABLE "credentials"');
    await queryRunner.query('DROP INDEX "public"."ix_audit_events_project_time"');
    await queryRunner.query('DROP INDEX "public"."ix_audit_events_project_action"');
    await queryRunner.query('DROP TABLE "audit_events"');
  }
}
