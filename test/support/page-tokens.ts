/**
 * Opaque page tokens for the protocol test servers' list APIs (Unity Catalog's `page_token` /
 * `next_page_token`, Iceberg REST's `pageToken` / `next-page-token`). Both specs allow a page that
 * holds nothing yet still carries a token; `emptyPages` serves one before every page of results,
 * so a client that stops at the first empty page misses everything.
 */
export interface Paging {
  /** The server's page size: the most one page holds, and what a client that names none gets. */
  pageSize: number;
  /** Put an empty page that still carries a next-page token before every page of results. */
  emptyPages: boolean;
}

export type Page<T> = { items: T[]; nextPageToken?: string } | { invalid: string };

interface Cursor {
  offset: number;
  /** The empty page for this offset was already served. */
  emptied: boolean;
}

const encode = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decode(token: string): Cursor | undefined {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    return Number.isInteger(cursor.offset) && cursor.offset >= 0 && typeof cursor.emptied === 'boolean' ? cursor : undefined;
  } catch {
    return undefined;
  }
}

/** The page `token` (undefined or '' for the first) names, at most `size` items (the server's size when undefined). */
export function pageAt<T>(items: T[], token: string | undefined, size: number | undefined, paging: Paging): Page<T> {
  const cursor = token ? decode(token) : { offset: 0, emptied: false };
  if (!cursor) return { invalid: `Invalid page token: ${token}` };
  if (paging.emptyPages && !cursor.emptied && cursor.offset < items.length) {
    return { items: [], nextPageToken: encode({ offset: cursor.offset, emptied: true }) };
  }
  const next = cursor.offset + Math.min(size ?? paging.pageSize, paging.pageSize);
  return {
    items: items.slice(cursor.offset, next),
    nextPageToken: next < items.length ? encode({ offset: next, emptied: false }) : undefined,
  };
}
