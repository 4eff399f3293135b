import { SECRET_MASK, type Secrets, type SecretsUpdate } from '@switchboard/connectors';

export interface MergedSecrets {
  secrets: Secrets;
  /** Existing secrets kept without being re-entered. */
  kept: string[];
  changed: boolean;
}

export function mergeSecrets(current: Secrets, update: SecretsUpdate | undefined): MergedSecrets {
  const secrets: Secrets = { ...current };
  let changed = false;
  for (const [name, value] of Object.entries(update ?? {})) {
    if (value === SECRET_MASK) continue;
    if (value === null) {
      changed ||= name in secrets;
      delete secrets[name];
    } else {
      changed ||= secrets[name] !== value;
      secrets[name] = value;
    }
  }
  const kept = Object.keys(current).filter((name) => name in secrets && (update?.[name] === undefined || update[name] === SECRET_MASK));
  return { secrets, kept, changed };
}

/** `{name: "********"}` for every secret that is set. */
export const maskSecrets = (names: string[]): Record<string, string> => Object.fromEntries(names.map((name) => [name, SECRET_MASK]));
