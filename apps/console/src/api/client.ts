import createClient from 'openapi-fetch';
import type { paths } from '../../generated/openapi';
import { apiOrigin, type Session } from '../auth/session';

/**
 * The typed API client (paths generated from the service's own OpenAPI document). Every call
 * carries the session's access token; a 401 refreshes the session once and retries once.
 */
export function createApiClient(session: Session, fetcher: (request: Request) => Promise<Response> = (request) => fetch(request)) {
  const authorizedFetch = async (request: Request): Promise<Response> => {
    const retry = request.clone();
    const token = await session.accessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    const response = await fetcher(request);
    if (response.status !== 401 || !token) return response;
    const renewed = await session.renewAfterRejection(token);
    if (!renewed) return response;
    retry.headers.set('Authorization', `Bearer ${renewed}`);
    return fetcher(retry);
  };
  return createClient<paths>({ baseUrl: apiOrigin(), fetch: authorizedFetch });
}

export type ApiClient = ReturnType<typeof createApiClient>;
