/** A tiny JSON client for seeding and checks: every call states the status it expects. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly auth: Record<string, string> = {},
  ) {}

  withToken(token: string): Api {
    return new Api(this.baseUrl, { authorization: `Bearer ${token}` });
  }

  withApiKey(key: string): Api {
    return new Api(this.baseUrl, { 'x-api-key': key });
  }

  async call<T = any>(method: string, path: string, expected: number, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { ...this.auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(this.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (response.status !== expected) {
      throw new Error(`${method} ${this.baseUrl}${path}: expected ${expected}, got ${response.status} ${text.slice(0, 500)}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Runs `work` for every item with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
