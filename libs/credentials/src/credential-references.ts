/**
 * Who uses a credential. Implemented by the connections lib, which sits above this one:
 * resolved lazily, so credentials never imports connections.
 */
export abstract class CredentialReferences {
  /** Names of the project's connections that use the credential. */
  abstract connectionsUsing(projectId: string, credentialId: string): Promise<string[]>;

  /** The credential's secrets changed: live clients opened with the old ones must go. */
  abstract credentialChanged(projectId: string, credentialId: string): Promise<void>;
}
