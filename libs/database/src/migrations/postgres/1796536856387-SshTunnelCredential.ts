import { MigrationInterface, QueryRunner } from 'typeorm';

/** config.sshTunnel.credentialId as a reference the database keeps, like credential_id. */
export class SshTunnelCredential1796536856387 implements MigrationInterface {
  name = 'SshTunnelCredential1796536856387';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "connections" ADD "ssh_credential_id" uuid');
    await queryRunner.query('CREATE INDEX "ix_connections_ssh_credential_id" ON "connections"  ("ssh_credential_id") ');
    await queryRunner.query(
      'ALTER TABLE "connections" ADD CONSTRAINT "fk_connections_ssh_credential" FOREIGN KEY ("ssh_credential_id") REFERENCES "credentials"("id") ON DELETE NO ACTION ON UPDATE NO ACTION',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "connections" DROP CONSTRAINT "fk_connections_ssh_credential"');
    await queryRunner.query('DROP INDEX "public"."ix_connections_ssh_credential_id"');
    await queryRunner.query('ALTER TABLE "connections" DROP COLUMN "ssh_credential_id"');
  }
}
