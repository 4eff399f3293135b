import { describe, expect, it } from 'vitest';
import { createApiClient } from '../api/client';
import { REFRESH_MARGIN_MS, Session } from './session';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const pair = (n: number) => ({ accessToken: `access-${n}`, refreshToken: `sbr_refresh-${n}`, tokenType: 'Bearer', expiresIn: 900 });

/** A service that accepts only the latest access token and rotates refresh tokens (the old one ends the session). */
function fakeService() {
  let generation = 1;
  const calls: string[] = [];
  const fetcher = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    calls.push(`${request.method} ${path}`);
    if (path === '/api/v1/auth/login') return json(200, pair(generation));
    if (path === '/api/v1/auth/refresh') {
      const { refreshToken } = (await request.json()) as { refreshToken: string };
      if (refreshToken !== `sbr_refresh-${generation}`)
        return json(401, { code: 'INVALID_REFRESH_TOKEN', detail: 'no', status: 401, title: 'x' });
      generation += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return json(200, pair(generation));
    }
    if (request.headers.get('authorization') !== `Bearer access-${generation}`)
      return json(401, { code: 'UNAUTHORIZED', detail: 'no', status: 401, title: 'x' });
    return json(200, { data: [], meta: { total: 0, page: 1, perPage: 20 } });
  };
  return { fetcher, calls, expire: () => (generation += 100) };
}

function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  };
}

describe('session: tokens in sessionStorage, refresh single-flight, retry once', () => {
  it('refreshes once for concurrent calls refused with the same token, and retries each', async () => {
    const service = fakeService();
    const storage = memoryStorage();
    const session = new Session(storage, service.fetcher);
    expect(await session.signIn('a@b.c', 'pw')).toBeNull();
    expect(JSON.parse(storage.getItem('switchboard.session')!).accessToken).toBe('access-1');
    // The service no longer takes the access token this tab holds: three calls at once are refused.
    (session as unknown as { state: { tokens: { accessToken: string } } }).state.tokens.accessToken = 'stale';
    const api = createApiClient(session, service.fetcher);
    const answers = await Promise.all([1, 2, 3].map(() => api.GET('/api/v1/projects')));
    expect(answers.map((answer) => answer.response.status)).toEqual([200, 200, 200]);
    expect(service.calls.filter((call) => call.endsWith('/auth/refresh'))).toHaveLength(1);
    expect(service.calls.filter((call) => call === 'GET /api/v1/projects')).toHaveLength(6);
  });

  it('shares one refresh between every caller, and the rotated refresh token is stored', async () => {
    const service = fakeService();
    const storage = memoryStorage();
    const session = new Session(storage, service.fetcher);
    await session.signIn('a@b.c', 'pw');
    const results = await Promise.all([session.refresh(), session.refresh(), session.renewAfterRejection('access-1')]);
    expect(results.map((result) => (typeof result === 'string' ? result : result?.accessToken))).toEqual([
      'access-2',
      'access-2',
      'access-2',
    ]);
    expect(service.calls.filter((call) => call.endsWith('/auth/refresh'))).toHaveLength(1);
    expect(JSON.parse(storage.getItem('switchboard.session')!).refreshToken).toBe('sbr_refresh-2');
  });

  it('refreshes before an access token expires', async () => {
    const service = fakeService();
    let now = 1_000_000;
    const session = new Session(memoryStorage(), service.fetcher, () => now);
    await session.signIn('a@b.c', 'pw');
    expect(await session.accessToken()).toBe('access-1');
    now += 900_000 - REFRESH_MARGIN_MS / 4;
    expect(await session.accessToken()).toBe('access-2');
  });

  it('ends the session when the refresh token is refused: no tokens kept, the reason is "expired"', async () => {
    const service = fakeService();
    const storage = memoryStorage();
    const session = new Session(storage, service.fetcher);
    await session.signIn('a@b.c', 'pw');
    service.expire();
    const api = createApiClient(session, service.fetcher);
    const answer = await api.GET('/api/v1/projects');
    expect(answer.response.status).toBe(401);
    expect(session.current).toEqual({ tokens: null, ended: 'expired' });
    expect(storage.getItem('switchboard.session')).toBeNull();
  });

  it('reports a wrong password as the problem the API answered', async () => {
    const session = new Session(memoryStorage(), async () =>
      json(401, {
        type: 'x',
        title: 'Unauthorized',
        status: 401,
        detail: 'Invalid email or password.',
        code: 'INVALID_CREDENTIALS',
        requestId: 'r',
      }),
    );
    expect(await session.signIn('a@b.c', 'bad')).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });
    expect(session.current.tokens).toBeNull();
  });
});
