/**
 * A secret field is write-only: the console never holds a stored value, only what to do with it.
 * - empty: nothing stored, nothing entered (nothing sent)
 * - set: a value entered where none was stored
 * - keep: the stored value stays (nothing sent)
 * - replace: a new value replaces the stored one
 * - clear: the stored value is removed (null sent)
 */
export type SecretState =
  { mode: 'empty' } | { mode: 'set'; value: string } | { mode: 'keep' } | { mode: 'replace'; value: string } | { mode: 'clear' };

export type SecretStates = Record<string, SecretState>;

/** Stored secrets start kept; the others empty. */
export function initialSecretStates(names: string[], stored: readonly string[] = []): SecretStates {
  return Object.fromEntries(names.map((name) => [name, stored.includes(name) ? { mode: 'keep' } : { mode: 'empty' }]));
}

/** The `secrets` of a create, update or draft test: entered values, null to clear, nothing for kept ones. */
export function secretsPayload(states: SecretStates): Record<string, string | null> {
  const payload: Record<string, string | null> = {};
  for (const [name, state] of Object.entries(states)) {
    if ((state.mode === 'set' || state.mode === 'replace') && state.value !== '') payload[name] = state.value;
    else if (state.mode === 'clear') payload[name] = null;
  }
  return payload;
}

/** Secrets a draft test cannot use: kept ones stay in the service, which a draft does not reach. */
export const keptSecrets = (states: SecretStates): string[] =>
  Object.entries(states)
    .filter(([, state]) => state.mode === 'keep')
    .map(([name]) => name);

/** The SSH tunnel's secrets (sshPassword, sshPrivateKey, sshPassphrase): every type that tunnels names them so. */
const TUNNEL_SECRET = /^ssh[A-Z]/;

/** The secret fields that mean something for this config: the tunnel's only when the tunnel is used (noise otherwise). */
export const secretsInUse = <T extends { name: string }>(fields: readonly T[], tunnelUsed: boolean): T[] =>
  fields.filter((field) => tunnelUsed || !TUNNEL_SECRET.test(field.name));

/** `states` restricted to `names`: what a hidden field holds is not sent. */
export const onlySecrets = (states: SecretStates, names: readonly string[]): SecretStates =>
  Object.fromEntries(Object.entries(states).filter(([name]) => names.includes(name)));
