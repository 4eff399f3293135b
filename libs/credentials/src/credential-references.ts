/**
 * Who uses a credential: a port credentials owns and injects, provided by the lib that uses
 * credentials (connections, which sits above this one), so credentials never imports it.
 */
export abstract class CredentialReferences {
  /** Names of the project's connections that use the credential. */
  abstract connectionsUsing(projectId: string, credentialId: string): Promise<string[]>;

  /** The credential's secrets changed: live clients opened with the old ones must go. */
  abstract credentialChanged(projectId: string, credentialId: string): Promise<void>;
}
