/**
 * Lowercase letters, digits and single hyphens; starts with a letter; 2-63 chars; never
 * UUID-shaped, so a path segment is unambiguously a slug or an id.
 */
export const SLUG_PATTERN = /^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,62}$/;
export const SLUG_MESSAGE = 'must be 2-63 lowercase letters, digits or single hyphens, starting with a letter (not a UUID)';

export const isSlug = (value: string): boolean => SLUG_PATTERN.test(value);
