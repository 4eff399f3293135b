import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProjectsModule } from '@switchboard/projects';
import { CredentialEntity } from './credential.entity';
import { CredentialsController } from './credentials.controller';
import { CredentialsRepository } from './credentials.repository';
import { CredentialsService } from './credentials.service';
import { EncryptionController } from './encryption/encryption.controller';
import { EncryptionService } from './encryption/encryption.service';
import { SealedCredentialsRepository } from './encryption/sealed-credentials.repository';
import { OwnedSecretsStore } from './owned-secrets.store';
import { SecretReveals } from './secret-reveals';
import { SecretsVault } from './secrets-vault';

export const CREDENTIAL_ENTITIES = [CredentialEntity];

@Module({
  imports: [ProjectsModule, TypeOrmModule.forFeature(CREDENTIAL_ENTITIES)],
  controllers: [CredentialsController, EncryptionController],
  providers: [
    CredentialsRepository,
    SealedCredentialsRepository,
    SecretsVault,
    CredentialsService,
    OwnedSecretsStore,
    SecretReveals,
    EncryptionService,
  ],
  exports: [CredentialsService, OwnedSecretsStore, SecretReveals],
})
export class CredentialsModule {}
