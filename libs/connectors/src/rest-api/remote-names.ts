import { protocolError } from './rest-api-failure';

/** The longest name (catalog, schema, table, namespace level) taken from a list: Unity Catalog allows 255, Iceberg sets no limit. */
export const MAX_REMOTE_NAME_CHARS = 1024;
/** The longest comment kept from a list; a longer one is cut. */
export const MAX_REMOTE_COMMENT_CHARS = 4096;

/** A name an API listed, as text; a PROTOCOL_ERROR when it is longer than any real one, so lists stay bounded in memory. */
export function remoteName(value: unknown, where: string): string {
  const name = String(value);
  if (name.length > MAX_REMOTE_NAME_CHARS) throw protocolError(`${where} answered a name over ${MAX_REMOTE_NAME_CHARS} characters.`);
  return name;
}

/** A comment an API listed, cut to MAX_REMOTE_COMMENT_CHARS. */
export const remoteComment = (comment: string): string =>
  comment.length > MAX_REMOTE_COMMENT_CHARS ? `${comment.slice(0, MAX_REMOTE_COMMENT_CHARS)}…` : comment;
