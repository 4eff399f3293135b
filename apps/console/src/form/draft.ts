import type { FormValues } from './schema';

/** What an unsaved connection form keeps in this tab while it is open: never a secret. */
export interface ConnectionDraft {
  type: string;
  name: string;
  description: string;
  enabled: boolean;
  values: FormValues;
  /** The shared credential chosen, '' for secrets entered in the form (absent in older drafts). */
  credentialId?: string;
}

const PREFIX = 'switchboard.draft:';

/**
 * Unsaved forms survive a session that ends under the user (sign-in comes back to the same
 * URL) and a reload. Secrets are left out on purpose: they are entered again.
 */
export const drafts = {
  read(key: string, type: string, storage: Storage = sessionStorage): ConnectionDraft | null {
    try {
      const draft = JSON.parse(storage.getItem(PREFIX + key) ?? 'null') as ConnectionDraft | null;
      return draft && draft.type === type && typeof draft.values === 'object' ? draft : null;
    } catch {
      return null;
    }
  },
  write(key: string, draft: ConnectionDraft, storage: Storage = sessionStorage): void {
    storage.setItem(PREFIX + key, JSON.stringify(draft));
  },
  discard(key: string, storage: Storage = sessionStorage): void {
    storage.removeItem(PREFIX + key);
  },
};
