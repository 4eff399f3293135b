import { Injectable, Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '@switchboard/common';
import type { Secrets } from '@switchboard/connectors';
import { EnvelopeCipher, EnvelopeError, hmacHex, KeyRing } from '@switchboard/crypto';

export interface SealedSecrets {
  secretEnvelope: string | null;
  keyId: string | null;
  secretFields: string[];
  secretFingerprint: string | null;
}

/** Binds an envelope to its row: copied to another credential or project, it no longer opens. */
export const secretsAad = (projectId: string, credentialId: string): string => `sb1|${projectId}|${credentialId}`;

/** Seals and opens a credential's secrets; the only place their plaintext exists. */
@Injectable()
export class SecretsVault {
  private readonly logger = new Logger('Secrets');

  constructor(
    private readonly cipher: EnvelopeCipher,
    private readonly keyRing: KeyRing,
  ) {}

  seal(projectId: string, credentialId: string, secrets: Secrets): SealedSecrets {
    const names = Object.keys(secrets).sort();
    if (names.length === 0) return { secretEnvelope: null, keyId: null, secretFields: [], secretFingerprint: null };
    const canonical = JSON.stringify(Object.fromEntries(names.map((name) => [name, secrets[name]])));
    const key = this.keyRing.active;
    return {
      secretEnvelope: this.cipher.seal(canonical, secretsAad(projectId, credentialId)),
      keyId: key.id,
      secretFields: names,
      secretFingerprint: `${key.id}:${hmacHex(key.fingerprint, canonical)}`,
    };
  }

  /** Fails closed with a coded error; the reason stays in the server's log, not the response. */
  open(projectId: string, credentialId: string, envelope: string | null): Secrets {
    if (envelope === null) return {};
    try {
      return JSON.parse(this.cipher.open(envelope, secretsAad(projectId, credentialId))) as Secrets;
    } catch (error) {
      // By row id (a key named like "credentialId" would be scrubbed from the log), never the envelope.
      const reason = error instanceof EnvelopeError ? error.reason : 'malformed';
      this.logger.error({ projectId, rowId: credentialId, reason }, 'Stored secrets cannot be decrypted');
      throw new AppError(ErrorCode.SECRETS_UNREADABLE, 'The stored secrets cannot be decrypted with the configured keys.');
    }
  }

  /** Re-seals under the active key without changing content (rotation). */
  reseal(projectId: string, credentialId: string, envelope: string): { envelope: string; keyId: string } {
    const aad = secretsAad(projectId, credentialId);
    return { envelope: this.cipher.seal(this.cipher.open(envelope, aad), aad), keyId: this.keyRing.active.id };
  }

  get activeKeyId(): string {
    return this.keyRing.active.id;
  }

  hasKey(keyId: string): boolean {
    return this.keyRing.get(keyId) !== undefined;
  }
}
