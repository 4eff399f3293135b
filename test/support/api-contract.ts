import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { STRING_FORMATS } from '../../libs/connectors/src/formats';

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'];
/** Where the document is served; not itself an operation of the document. */
export const DOCUMENT_PATH = '/docs/openapi.json';

/** What one exchange looked like, as the contract needs it. */
export interface Exchange {
  method: string;
  /** The path with its query string, as sent. */
  url: string;
  /** The JSON request body as sent (undefined when none). */
  requestBody?: unknown;
  requestContentType?: string;
  status: number;
  headers: Headers;
  contentType: string;
  /** The parsed JSON body, or the text when it was not JSON. */
  body: unknown;
  text: string;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  /** Fewer parameters first: fastify prefers `/connections/test` over `/connections/{connection}`. */
  parameterCount: number;
  pointer: string;
  operation: Json;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const mediaTypeOf = (contentType: string) => contentType.split(';')[0].trim().toLowerCase();

/**
 * The OpenAPI document as a checker of real exchanges: the operation a request reached, whether
 * the status it got is documented there, whether the body matches the documented schema of that
 * status and media type, and, when the service accepted a request (2xx), whether its body was
 * one the document allows. ajv with JSON Schema 2020-12, the dialect of OpenAPI 3.1.
 */
export class ApiContract {
  private readonly ajv: Ajv2020;
  private readonly routes: Route[] = [];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // The config schemas' own formats, with the same rules as the service's validation.
    for (const [name, format] of Object.entries(STRING_FORMATS)) this.ajv.addFormat(name, { type: 'string', validate: format.validate });
    // Every `#/components/...` and `#/paths/...` pointer resolves within the document.
    this.ajv.addSchema({ $id: 'openapi.json', components: document.components, paths: document.paths });
    for (const [template, item] of Object.entries<Json>(document.paths)) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        const parameterNames = [...template.matchAll(/\{[^}]+\}/g)];
        const source = template
          .split(/(\{[^}]+\})/)
          .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
          .join('');
        this.routes.push({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${source}$`),
          parameterCount: parameterNames.length,
          pointer: `/paths/${escapePointer(template)}/${method}`,
          operation: item[method],
        });
      }
    }
    this.routes.sort((a, b) => a.parameterCount - b.parameterCount);
  }

  /** The documented operation `method url` reaches, if any. */
  route(method: string, url: string): Route | undefined {
    const path = url.split('?')[0];
    return this.routes.find((route) => route.method === method.toUpperCase() && route.pattern.test(path));
  }

  /** Everything in `exchange` the document does not describe; empty when it agrees. */
  violations(exchange: Exchange): string[] {
    const path = exchange.url.split('?')[0];
    if (path === DOCUMENT_PATH || path.startsWith('/docs')) return [];
    const route = this.route(exchange.method, exchange.url);
    if (!route) {
      // Not an operation: the router answers 404 (or 405) with the shared problem shape.
      if (![404, 405].includes(exchange.status))
        return [`${exchange.method} ${path} is not in the document, yet answered ${exchange.status}`];
      return this.problemViolations(exchange, `${exchange.method} ${path}`);
    }
    const where = `${route.method} ${route.template} → ${exchange.status}`;
    const found: string[] = [];
    const responses: Json = route.operation.responses ?? {};
    const statusKey = [String(exchange.status), `${String(exchange.status)[0]}XX`, 'default'].find((key) => responses[key]);
    if (!statusKey) return [`${where}: status not documented (documented: ${Object.keys(responses).join(', ')})`];
    const response: Json = responses[statusKey];
    for (const header of Object.keys(response.headers ?? {})) {
      if (!exchange.headers.has(header)) found.push(`${where}: documented header ${header} missing`);
    }
    const content: Json | undefined = response.content;
    const mediaType = mediaTypeOf(exchange.contentType);
    // A documented media type may carry parameters (Prometheus: `text/plain; version=0.0.4`).
    const documented = Object.keys(content ?? {}).find((key) => mediaTypeOf(key) === mediaType);
    if (!content) {
      if (exchange.text)
        found.push(`${where}: the document promises no body, got ${mediaType || 'untyped'} "${exchange.text.slice(0, 80)}"`);
    } else if (!documented) {
      found.push(`${where}: content-type ${mediaType || '(none)'} not documented (documented: ${Object.keys(content).join(', ')})`);
    } else if (mediaType.endsWith('json')) {
      const error = this.schemaError(
        `${route.pointer}/responses/${escapePointer(statusKey)}/content/${escapePointer(documented)}/schema`,
        exchange.body,
      );
      if (error) found.push(`${where}: body ${error}`);
    }
    if (exchange.status >= 200 && exchange.status < 300) found.push(...this.requestViolations(route, exchange, where));
    return found;
  }

  /** A request the service accepted must be one the document allows. */
  private requestViolations(route: Route, exchange: Exchange, where: string): string[] {
    const requestBody: Json | undefined = route.operation.requestBody;
    if (exchange.requestBody === undefined) return requestBody?.required ? [`${where}: accepted without the required body`] : [];
    if (!requestBody) return [];
    const mediaType = mediaTypeOf(exchange.requestContentType ?? '');
    const documented = Object.keys(requestBody.content ?? {}).find((key) => mediaTypeOf(key) === mediaType);
    if (!documented) return [`${where}: accepted a ${mediaType || 'untyped'} body the document does not list`];
    if (!mediaType.endsWith('json')) return [];
    const error = this.schemaError(`${route.pointer}/requestBody/content/${escapePointer(documented)}/schema`, exchange.requestBody);
    return error ? [`${where}: accepted a request body the document refuses: ${error}`] : [];
  }

  /** Whether `exchange` carries a problem of the documented shape (ProblemDto); empty when it does. */
  problemViolations(exchange: Exchange, where = `${exchange.method} ${exchange.url}`): string[] {
    if (mediaTypeOf(exchange.contentType) !== 'application/problem+json')
      return [`${where} → ${exchange.status}: not application/problem+json`];
    const error = this.schemaError('/components/schemas/ProblemDto', exchange.body);
    return error ? [`${where} → ${exchange.status}: ${error}`] : [];
  }

  /** Where `body` disagrees with the JSON request body schema of `method path` (a documented template), or null. */
  requestBodyError(method: string, template: string, body: unknown): string | null {
    const operation = `/paths/${escapePointer(template)}/${method.toLowerCase()}`;
    const content: Json = this.document.paths[template]?.[method.toLowerCase()]?.requestBody?.content ?? {};
    const mediaType = Object.keys(content).find((key) => mediaTypeOf(key).endsWith('json'));
    if (!mediaType) return `${method} ${template} takes no JSON body`;
    return this.schemaError(`${operation}/requestBody/content/${escapePointer(mediaType)}/schema`, body);
  }

  /** ajv's message for `value` against the schema at `pointer` in the document, or null when valid. */
  private schemaError(pointer: string, value: unknown): string | null {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json#${pointer}` });
      this.validators.set(pointer, validate);
    }
    if (validate(value)) return null;
    return this.ajv.errorsText(validate.errors, { dataVar: 'body' });
  }
}

const contracts = new Map<string, ApiContract>();

/** One checker per distinct document text in this process: compiled schemas are shared by every app. */
export function contractFor(documentText: string): ApiContract {
  let contract = contracts.get(documentText);
  if (!contract) {
    contract = new ApiContract(JSON.parse(documentText) as Json);
    contracts.set(documentText, contract);
  }
  return contract;
}
