import { Foundation1795340668196 } from './1795340668196-Foundation';
import { ConnectionsCredentialsAudit1795342131948 } from './1795342131948-ConnectionsCredentialsAudit';
import { SshTunnelCredential1796536856387 } from './1796536856387-SshTunnelCredential';

/** In order; each runs once, at start. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const SQLITE_MIGRATIONS: Function[] = [
  Foundation1795340668196,
  ConnectionsCredentialsAudit1795342131948,
  SshTunnelCredential1796536856387,
];
