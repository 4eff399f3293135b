import { isDeepStrictEqual } from 'node:util';
import type { ConnectionConfig, TransportSetting, TransportView } from './connection-type';

/** Builders for a type's `transportSecurity`, so each type states what protects its traffic in a line or two. */

/**
 * A config field whose values rank from weakest to strongest, e.g. TLS off < on. A missing
 * value (a config stored before the field existed) counts as `fallback`, the schema default;
 * a value not listed ranks below all.
 */
export function rankedField(field: string, weakestFirst: readonly unknown[], fallback: unknown): TransportSetting {
  const rank = (view: TransportView) => weakestFirst.indexOf(view.config[field] ?? fallback);
  return { name: field, source: 'config', weakens: (before, after) => rank(after) < rank(before) };
}

/** A pinned value such as a host key fingerprint: removing or changing it weakens, pinning one where there was none is free. */
export function pinnedField(field: string): TransportSetting {
  return {
    name: field,
    source: 'config',
    weakens: (before, after) => before.config[field] !== undefined && !isDeepStrictEqual(before.config[field], after.config[field]),
  };
}

/**
 * The CA secret server certificates are checked against while `verifies(config)`. While the
 * old config relies on it, any change weakens: another CA vouches for other servers, and none
 * falls back to every public CA. Where the old config checked nothing, any CA is a gain.
 */
export function trustAnchorSecret(secret: string, verifies: (config: ConnectionConfig) => boolean): TransportSetting {
  return {
    name: secret,
    source: 'secret',
    weakens: (before, after) => verifies(before.config) && before.secrets[secret] !== after.secrets[secret],
  };
}
