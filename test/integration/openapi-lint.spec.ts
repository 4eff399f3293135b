import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import { STRING_FORMATS } from '../../libs/connectors/src/formats';
import { startTestApp, TestApp } from '../support/test-app';

const API = '/api/v1';
/** The repository: rulesets and node_modules/.bin (the tests run from .build/test/integration). */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
/** No telemetry, no update check: the linters run offline. */
const OFFLINE_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_UPDATE_NOTIFIER: '1' };

type Json = Record<string, any>;

/** Runs a linter CLI; its exit status says little (1 for findings), its JSON output says what. */
async function run(command: string, args: string[]): Promise<string> {
  try {
    return (await promisify(execFile)(path.join(BIN, command), args, { cwd: ROOT, env: OFFLINE_ENV, maxBuffer: 64 << 20 })).stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    if (failed.stdout) return failed.stdout;
    throw new Error(`${command} failed: ${failed.stderr}`, { cause: error });
  }
}

/** The keywords under which a schema holds subschemas, to reach every `example`. */
function* subschemas(schema: Json, pointer: string): Generator<[Json, string]> {
  yield [schema, pointer];
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'propertyNames']) {
    if (schema[key] && typeof schema[key] === 'object') yield* subschemas(schema[key], `${pointer}/${key}`);
  }
  for (const key of ['oneOf', 'anyOf', 'allOf', 'prefixItems']) {
    const list: Json[] = schema[key] ?? [];
    for (let index = 0; index < list.length; index++) yield* subschemas(list[index], `${pointer}/${key}/${index}`);
  }
  for (const key of ['properties', '$defs']) {
    for (const [name, sub] of Object.entries<Json>(schema[key] ?? {})) {
      if (typeof sub === 'object') yield* subschemas(sub, `${pointer}/${key}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  }
}

describe('openapi document: lint-clean and its examples valid (sqlite)', () => {
  let t: TestApp;
  let doc: Json;
  let file: string;

  before(async () => {
    t = await startTestApp('sqlite');
    const reply = await t.call('GET', '/docs/openapi.json');
    assert.equal(reply.status, 200);
    doc = reply.body;
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-openapi-')), 'openapi.json');
    fs.writeFileSync(file, reply.text);
  });
  after(async () => {
    await t.close();
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('is OpenAPI 3.1 (the config schemas are JSON Schema 2020-12)', () => {
    assert.equal(doc.openapi, '3.1.0');
  });

  it('passes Redocly lint (recommended, redocly.yaml) with no error or warning', async () => {
    const report = JSON.parse(await run('redocly', ['lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format=json']));
    const problems = report.problems.map((problem: Json) => `${problem.ruleId}: ${problem.message} at ${problem.location?.[0]?.pointer}`);
    assert.deepEqual(problems, []);
    assert.deepEqual({ errors: report.totals.errors, warnings: report.totals.warnings }, { errors: 0, warnings: 0 });
  });

  it('passes Spectral lint (spectral:oas, .spectral.yaml) with no error or warning', async () => {
    const results = JSON.parse(
      await run('spectral', ['lint', file, '--ruleset', path.join(ROOT, '.spectral.yaml'), '--format=json', '--quiet']),
    );
    assert.deepEqual(
      results.map((result: Json) => `${result.code}: ${result.message} at ${result.path.join('.')}`),
      [],
    );
  });

  it('declares no header parameter a handler only reads, types every parameter, and sends booleans as booleans', () => {
    const found: string[] = [];
    for (const [route, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, operation] of Object.entries<Json>(item)) {
        for (const parameter of operation.parameters ?? []) {
          const where = `${method.toUpperCase()} ${route} ${parameter.in} ${parameter.name}`;
          if (parameter.in === 'header' && parameter.name !== 'If-Match') found.push(`${where}: header not part of the API`);
          if (parameter.in === 'header' && parameter.required) found.push(`${where}: required`);
          if (!parameter.schema?.type) found.push(`${where}: untyped`);
          if (['force', 'enabled', 'reveal'].includes(parameter.name) && parameter.schema?.type !== 'boolean')
            found.push(`${where}: not boolean`);
        }
      }
    }
    assert.deepEqual(found, []);
  });

  it('documents the statuses the hooks answer before any handler: 400, 413/415 with a body, 414, 431, 503', () => {
    const missing: string[] = [];
    for (const [route, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, operation] of Object.entries<Json>(item)) {
        const expected = ['400', '414', '431', '503', ...(operation.requestBody ? ['413', '415'] : [])];
        for (const status of expected) if (!operation.responses[status]) missing.push(`${method.toUpperCase()} ${route} ${status}`);
        for (const [status, response] of Object.entries<Json>(operation.responses)) {
          if (!response.headers?.['X-Request-Id']) missing.push(`${method.toUpperCase()} ${route} ${status}: X-Request-Id`);
        }
      }
    }
    assert.deepEqual(missing, []);
    const create = doc.paths[`${API}/projects/{project}/connections`].post.responses['201'].headers;
    assert.ok(create.ETag && create.Location, 'a 201 with a versioned resource documents ETag and Location');
  });

  it('has examples that validate against their own schemas (ajv, JSON Schema 2020-12)', () => {
    const ajv = new Ajv2020({
      strict: false,
      allErrors: true,
      formats: Object.fromEntries(
        Object.entries(STRING_FORMATS).map(([name, format]) => [name, { type: 'string', validate: format.validate }]),
      ),
    });
    // The document's own `#/components/...` references resolve within it.
    ajv.addSchema({ $id: 'openapi.json', components: doc.components });
    const invalid: string[] = [];
    const check = (pointer: string, value: unknown, where: string) => {
      const validate = ajv.getSchema(`openapi.json#${pointer}`)!;
      if (!validate(value)) invalid.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    };
    let checked = 0;
    for (const name of Object.keys(doc.components.schemas)) {
      for (const [schema, pointer] of subschemas(doc.components.schemas[name], `/components/schemas/${name}`)) {
        const examples = [
          ...(schema.example !== undefined ? [schema.example] : []),
          ...(Array.isArray(schema.examples) ? schema.examples : []),
        ];
        for (const example of examples) {
          check(pointer, example, pointer);
          checked++;
        }
      }
    }
    // Parameter examples, then request and response examples against their media type's schema.
    for (const [route, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, operation] of Object.entries<Json>(item)) {
        for (const parameter of operation.parameters ?? []) {
          if (parameter.schema?.example === undefined) continue;
          const validate = ajv.compile(parameter.schema);
          if (!validate(parameter.schema.example))
            invalid.push(`${method.toUpperCase()} ${route} ${parameter.name}: ${ajv.errorsText(validate.errors)}`);
          checked++;
        }
        const media = [
          ...Object.entries<Json>(operation.requestBody?.content ?? {}).map(([type, content]) => [`request ${type}`, content] as const),
          ...Object.entries<Json>(operation.responses).flatMap(([status, response]) =>
            Object.entries<Json>(response.content ?? {}).map(([type, content]) => [`${status} ${type}`, content] as const),
          ),
        ];
        for (const [where, content] of media) {
          if (!content.schema?.$ref) continue;
          const validate = ajv.compile({ $ref: `openapi.json${content.schema.$ref}` });
          const values = [
            ...(content.example !== undefined ? [content.example] : []),
            ...Object.values<Json>(content.examples ?? {}).map((example) => example.value),
          ];
          for (const value of values) {
            if (!validate(value)) invalid.push(`${method.toUpperCase()} ${route} ${where}: ${ajv.errorsText(validate.errors)}`);
            checked++;
          }
        }
      }
    }
    assert.deepEqual(invalid, []);
    assert.ok(checked > 100, `only ${checked} examples found`);
  });

  it('gives one example body per connection type, and a URI one, that the service accepts as it is', async () => {
    const examples: Json = doc.paths[`${API}/projects/{project}/connections`].post.requestBody.content['application/json'].examples;
    const { accessToken } = await t.login();
    const types: Json[] = (await t.call('GET', `${API}/connection-types`, { token: accessToken })).body.data;
    assert.deepEqual(Object.keys(examples).sort(), [...types.map((type) => type.type), 'uri'].sort());
    const slug = 'examples';
    assert.equal((await t.call('POST', `${API}/projects`, { token: accessToken, body: { slug, name: slug } })).status, 201);
    for (const [name, example] of Object.entries<Json>(examples)) {
      const reply = await t.call('POST', `${API}/projects/${slug}/connections`, { token: accessToken, body: example.value });
      assert.equal(reply.status, 201, `example ${name}: ${reply.text}`);
    }
  });
});
