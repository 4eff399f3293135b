import { AppError, ErrorCode } from '@switchboard/common';
import { CONNECTION_TYPE_DEFINITIONS, type Secrets, trustAnchorSecrets } from '@switchboard/connectors';
import type { MergedSecrets } from './secrets-merge';
import { CREDENTIAL_TYPE_SPECS } from './types/credential-types';

const TRUST_ANCHORS = trustAnchorSecrets(CONNECTION_TYPE_DEFINITIONS);
// Client TLS material: a server in the middle never receives the key, and the certificate is public.
const TLS_MATERIAL = CREDENTIAL_TYPE_SPECS.tls.secrets as readonly string[];

/**
 * The points-elsewhere rule on a shared credential's own edit. A new, replaced or removed CA
 * makes the connections that check certificates with it trust other servers, so a kept
 * password would go to whoever that CA vouches for on the path. Re-entered (or cleared),
 * the password is the editor's own to send.
 */
export function assertTrustKept(stored: Secrets, merged: MergedSecrets): void {
  const swapped = TRUST_ANCHORS.filter((name) => stored[name] !== merged.secrets[name]);
  const kept = merged.kept.filter((name) => !TLS_MATERIAL.includes(name));
  if (swapped.length && kept.length) {
    throw new AppError(
      ErrorCode.UNPROCESSABLE,
      `Changing ${swapped.join(', ')} changes which servers the connections using this credential trust: re-enter ` +
        `${kept.join(', ')} (or set them to null) so stored secrets are not sent to a new place.`,
    );
  }
}
