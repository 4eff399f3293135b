import type { HeaderObject, OpenAPIObject, OperationObject, ReferenceObject, ResponseObject } from '@nestjs/swagger';
import { problemResponse } from './api-problems.decorator';

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: 'Identifies the request in the logs: the client’s own X-Request-Id when it is safe, else a new UUIDv7.',
    schema: { type: 'string', example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' },
  },
  ETag: { description: 'The version of the returned resource; send it back as If-Match.', schema: { type: 'string', example: '"3"' } },
  Location: {
    description: 'Where the created resource is.',
    schema: { type: 'string', example: '/api/v1/projects/default/connections/0193a5b2-0000-7000-8000-000000000003' },
  },
};

/**
 * Documents on every operation the answers no handler decides, as the hooks in front of them
 * give them: 400 for a malformed URL or query, 414 and 431 from the HTTP parser, 413 and 415
 * for a body, 500 for what goes wrong on our side, 503 while the metadata database is down (a valid token included: it cannot be
 * checked then); X-Request-Id on every response, ETag (and Location on 201) on every response
 * carrying a versioned resource, as `registerResourceHeaders` sets them.
 */
export function documentCommonResponses(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const versioned = (response: ResponseObject): boolean => {
    const schema = response.content?.['application/json']?.schema as ReferenceObject | undefined;
    const target = schema?.$ref ? schemas[schema.$ref.split('/').pop()!] : undefined;
    return !!target && 'properties' in target && !!target.properties?.version;
  };
  for (const item of Object.values(document.paths)) {
    for (const method of OPERATION_METHODS) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      const responses = operation.responses as Record<string, ResponseObject>;
      responses['400'] ??= problemResponse(400, 'The URL, a query value or the body is malformed or invalid.');
      if (operation.requestBody) {
        responses['413'] ??= problemResponse(413, 'The body is over 1 MiB.');
        responses['415'] ??= problemResponse(415, 'The body is not of a content type this operation takes.');
      }
      responses['414'] ??= problemResponse(414);
      responses['431'] ??= problemResponse(431);
      // SECRETS_UNREADABLE (stored secrets no configured key decrypts) and faults of ours.
      responses['500'] ??= problemResponse(
        500,
        'Internal error; quote the requestId when reporting it. SECRETS_UNREADABLE: the stored secrets cannot be decrypted with the configured keys.',
      );
      responses['503'] ??= problemResponse(
        503,
        'Service unavailable: the metadata database is not answering; retry after Retry-After seconds.',
      );
      for (const [status, response] of Object.entries(responses)) {
        const headers: Record<string, HeaderObject | ReferenceObject> = {
          ...response.headers,
          'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
        };
        if (status.startsWith('2') && versioned(response)) {
          headers.ETag = { $ref: '#/components/headers/ETag' };
          if (status === '201') headers.Location = { $ref: '#/components/headers/Location' };
        }
        responses[status] = { ...response, headers };
      }
    }
  }
  document.components = { ...document.components, headers: { ...document.components?.headers, ...HEADERS } };
}
