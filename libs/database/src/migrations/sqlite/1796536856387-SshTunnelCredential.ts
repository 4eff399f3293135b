import { MigrationInterface, QueryRunner } from 'typeorm';

/** config.sshTunnel.credentialId as a reference the database keeps: one rebuild of connections (SQLite adds a foreign key no other way). */
export class SshTunnelCredential1796536856387 implements MigrationInterface {
  name = 'SshTunnelCredential1796536856387';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "uq_connections_project_name"');
    await queryRunner.query('DROP INDEX "ix_connections_project_type"');
    await queryRunner.query('DROP INDEX "ix_connections_credential_id"');
    await queryRunner.query(
      'CREATE TABLE "temporary_connections" ("id" varchar PRIMARY KEY NOT NULL, "project_id" varchar NOT NULL, "name" varchar(63) NOT NULL, "type" varchar(16) NOT NULL, "description" varchar(2000), "config" text NOT NULL, "credential_id" varchar, "owns_credential" boolean NOT NULL DEFAULT (0), "enabled" boolean NOT NULL DEFAULT (1), "labels" text NOT NULL, "version" integer NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" varchar, "ssh_credential_id" varchar, CONSTRAINT "fk_connections_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION, CONSTRAINT "fk_connections_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, CONSTRAINT "fk_connections_ssh_credential" FOREIGN KEY ("ssh_credential_id") REFERENCES "credentials" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "temporary_connections"("id", "project_id", "name", "type", "description", "config", "credential_id", "owns_credential", "enabled", "labels", "version", "created_at", "updated_at", "created_by") SELECT "id", "project_id", "name", "type", "description", "config", "credential_id", "owns_credential", "enabled", "labels", "version", "created_at", "updated_at", "created_by" FROM "connections"',
    );
    await queryRunner.query('DROP TABLE "connections"');
    await queryRunner.query('ALTER TABLE "temporary_connections" RENAME TO "connections"');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_connections_project_name" ON "connections" ("project_id", "name") ');
    await queryRunner.query('CREATE INDEX "ix_connections_project_type" ON "connections" ("project_id", "type") ');
    await queryRunner.query('CREATE INDEX "ix_connections_credential_id" ON "connections" ("credential_id") ');
    await queryRunner.query('CREATE INDEX "ix_connections_ssh_credential_id" ON "connections" ("ssh_credential_id") ');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "ix_connections_ssh_credential_id"');
    await queryRunner.query('DROP INDEX "ix_connections_credential_id"');
    await queryRunner.query('DROP INDEX "ix_connections_project_type"');
    await queryRunner.query('DROP INDEX "uq_connections_project_name"');
    await queryRunner.query('ALTER TABLE "connections" RENAME TO "temporary_connections"');
    await queryRunner.query(
      'CREATE TABLE "connections" ("id" varchar PRIMARY KEY NOT NULL, "project_id" varchar NOT NULL, "name" varchar(63) NOT NULL, "type" varchar(16) NOT NULL, "description" varchar(2000), "config" text NOT NULL, "credential_id" varchar, "owns_credential" boolean NOT NULL DEFAULT (0), "enabled" boolean NOT NULL DEFAULT (1), "labels" text NOT NULL, "version" integer NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" varchar, CONSTRAINT "fk_connections_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION, CONSTRAINT "fk_connections_project" FOREIGN KEY ("project_id") REFERENCES "projects" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)',
    );
    await queryRunner.query(
      'INSERT INTO "connections"("id", "project_id", "name", "type", "description", "config", "credential_id", "owns_credential", "enabled", "labels", "version", "created_at", "updated_at", "created_by") SELECT "id", "project_id", "name", "type", "description", "config", "credential_id", "owns_credential", "enabled", "labels", "version", "created_at", "updated_at", "created_by" FROM "temporary_connections"',
    );
    await queryRunner.query('DROP TABLE "temporary_connections"');
    await queryRunner.query('CREATE INDEX "ix_connections_credential_id" ON "connections" ("credential_id") ');
    await queryRunner.query('CREATE INDEX "ix_connections_project_type" ON "connections" ("project_id", "type") ');
    await queryRunner.query('CREATE UNIQUE INDEX "uq_connections_project_name" ON "connections" ("project_id", "name") ');
  }
}
