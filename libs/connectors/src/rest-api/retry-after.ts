/** The longest wait a Retry-After is taken at: what a remote API asks for is passed on to API clients. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * Seconds a Retry-After header asks for (delta-seconds or an HTTP date), at most
 * MAX_RETRY_AFTER_SECONDS (a number too long to read included); undefined when absent or unreadable.
 */
export function retryAfterSeconds(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) : Math.ceil((Date.parse(header) - now) / 1000);
  return Number.isNaN(seconds) ? undefined : Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds));
}
