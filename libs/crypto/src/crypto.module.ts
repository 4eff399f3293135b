import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@switchboard/common';
import { EnvelopeCipher } from './envelope';
import { KeyRing } from './key-ring';
import { PasswordHasher } from './passwords';

@Global()
@Module({
  providers: [
    { provide: KeyRing, inject: [APP_CONFIG], useFactory: (config: AppConfig) => KeyRing.parse(config.encryptionKeys) },
    { provide: EnvelopeCipher, inject: [KeyRing], useFactory: (keyRing: KeyRing) => new EnvelopeCipher(keyRing) },
    { provide: PasswordHasher, useValue: new PasswordHasher() },
  ],
  exports: [KeyRing, EnvelopeCipher, PasswordHasher],
})
export class CryptoModule {}
