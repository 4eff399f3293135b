import assert from 'node:assert/strict';
import { contractFor } from '../../support/api-contract';
import type { Reply, TestApp } from '../../support/test-app';

export const API = '/api/v1';

export type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

/** One operation of the OpenAPI document, as the attack suites walk them. */
export interface Operation {
  /** `PUT /projects/{project}/connections/{connection}`: the method and the path without the API prefix. */
  key: string;
  method: string;
  /** The templated path without the API prefix. */
  path: string;
  /** The path parameter names, in order. */
  pathParams: string[];
  /** Query parameters: name -> required. */
  query: Map<string, boolean>;
  /** Header parameters, lowercased. */
  headers: Set<string>;
  /** Every status the document lists for it. */
  statuses: Set<number>;
  /** The request body's schema ($refs resolved at the top) and media types, if it takes one. */
  body?: { schema: Json; mediaTypes: string[] };
}

export interface ApiDocument {
  raw: Json;
  operations: Operation[];
  /** Follows a local `$ref` (once, at the top of `schema`). */
  deref(schema: Json | undefined): Json;
  /** Whether `reply` is a problem of the documented shape (ProblemDto), with its status and request id. */
  problemErrors(reply: Reply<Json>): string | null;
  /** Where `body` disagrees with the documented request body schema of `op`, or null. */
  bodyErrors(op: Operation, body: unknown): string | null;
}

/** Fetches /docs/openapi.json from the running service: the routes the suites sweep come from it, so a new route is swept too. */
export async function loadDocument(t: TestApp): Promise<ApiDocument> {
  const reply = await t.call('GET', '/docs/openapi.json');
  assert.equal(reply.status, 200, reply.text);
  const raw = reply.body as Json;
  const deref = (schema: Json | undefined): Json => {
    if (!schema?.$ref) return schema ?? {};
    const pointer = String(schema.$ref);
    assert.ok(pointer.startsWith('#/'), `non-local $ref ${pointer}`);
    return deref(
      pointer
        .slice(2)
        .split('/')
        .reduce((node: Json, segment) => node?.[segment], raw),
    );
  };
  const operations: Operation[] = [];
  for (const [fullPath, item] of Object.entries<Json>(raw.paths)) {
    // The Prometheus scrape path takes no body and names no project: nothing here to sweep or fuzz.
    if (fullPath === '/metrics') continue;
    assert.ok(fullPath.startsWith(API), `a documented path outside ${API}: ${fullPath}`);
    const path = fullPath.slice(API.length);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters: Json[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref);
      const content: Json | undefined = deref(op.requestBody)?.content;
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]),
        query: new Map(parameters.filter((p) => p.in === 'query').map((p) => [p.name as string, p.required === true])),
        headers: new Set(parameters.filter((p) => p.in === 'header').map((p) => String(p.name).toLowerCase())),
        statuses: new Set(Object.keys(op.responses ?? {}).map(Number)),
        body: content && {
          schema: deref(Object.values<Json>(content)[0]?.schema),
          mediaTypes: Object.keys(content),
        },
      });
    }
  }
  const contract = contractFor(reply.text);
  return {
    raw,
    operations,
    deref,
    problemErrors(problem: Reply<Json>): string | null {
      const found = contract.problemViolations({
        method: 'GET',
        url: '',
        status: problem.status,
        headers: problem.headers,
        contentType: problem.headers.get('content-type') ?? '',
        body: problem.body,
        text: problem.text,
      });
      if (found.length) return found.join('; ');
      if (problem.body.status !== problem.status) return `problem status ${problem.body.status} on an HTTP ${problem.status}`;
      if (problem.body.requestId !== problem.headers.get('x-request-id')) return 'problem requestId differs from X-Request-Id';
      return null;
    },
    bodyErrors(op: Operation, body: unknown): string | null {
      if (!op.body) return 'the document takes no body';
      return contract.requestBodyError(op.method, API + op.path, body);
    },
  };
}

/** The JSON text of `value` and every header of `reply`, for leak searches. */
export const replyText = (reply: Reply<unknown>): string => `${reply.text}\n${JSON.stringify([...reply.headers.entries()])}`;
