import { describe, expect, it } from 'vitest';
import { configOf, fieldsOf, initialValues, missingRequired, requiredNames, USED, type JsonSchema } from './schema';

/** Shaped like the service's own config schemas (GET /connection-types/{type}). */
const postgres: JsonSchema = {
  type: 'object',
  required: ['host'],
  properties: {
    host: { type: 'string', title: 'Host', examples: ['db.internal.example.com'] },
    port: { type: 'integer', title: 'Port', minimum: 1, maximum: 65535, default: 5432 },
    sslMode: { type: 'string', title: 'SSL mode', enum: ['disable', 'require'], default: 'require' },
    readOnlyByGrants: { type: 'boolean' },
    sshTunnel: {
      type: 'object',
      title: 'SSH tunnel',
      required: ['host'],
      if: { properties: { credentialId: true }, required: ['credentialId'] },
      else: { properties: { username: true }, required: ['username'] },
      properties: {
        host: { type: 'string', title: 'Host' },
        port: { type: 'integer', title: 'Port', default: 22 },
        username: { type: 'string', title: 'User name' },
        credentialId: { type: 'string', title: 'SSH key credential' },
      },
    },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

const smtp: JsonSchema = {
  type: 'object',
  required: ['host'],
  properties: { host: { type: 'string' }, auth: { type: 'boolean', default: false }, username: { type: 'string' } },
  if: { properties: { auth: { const: true } }, required: ['auth'] },
  then: { required: ['username'] },
};

describe('fields from a JSON Schema', () => {
  it('reads labels, kinds, options, defaults and examples; humanizes a name without a title', () => {
    const fields = fieldsOf(postgres);
    expect(fields.map((field) => [field.path, field.label, field.kind])).toEqual([
      ['host', 'Host', 'text'],
      ['port', 'Port', 'integer'],
      ['sslMode', 'SSL mode', 'choice'],
      ['readOnlyByGrants', 'Read Only By Grants', 'boolean'],
      ['sshTunnel', 'SSH tunnel', 'group'],
      ['headers', 'Headers', 'json'],
    ]);
    expect(fields[2].options).toEqual(['disable', 'require']);
    expect(fields[0].example).toBe('db.internal.example.com');
    expect(fields[4].children?.map((child) => child.path)).toEqual([
      'sshTunnel.host',
      'sshTunnel.port',
      'sshTunnel.username',
      'sshTunnel.credentialId',
    ]);
  });

  it('starts from the defaults (schema and type), an optional group unused', () => {
    const values = initialValues(fieldsOf(postgres), { sslMode: 'disable' });
    expect(values).toMatchObject({ host: '', port: '5432', sslMode: 'disable', readOnlyByGrants: false, headers: '' });
    expect(values.sshTunnel).toMatchObject({ [USED]: false, port: '22', host: '' });
  });

  it('starts from a stored config when editing, a stored group used', () => {
    const values = initialValues(
      fieldsOf(postgres),
      {},
      { host: 'db', port: 6432, sshTunnel: { host: 'bastion', username: 'tunnel' }, headers: { a: 'b' } },
    );
    expect(values).toMatchObject({ host: 'db', port: '6432', sslMode: '' });
    expect(values.sshTunnel).toMatchObject({ [USED]: true, host: 'bastion', username: 'tunnel', port: '' });
    expect(JSON.parse(values.headers as string)).toEqual({ a: 'b' });
  });
});

describe('the config sent', () => {
  const fields = fieldsOf(postgres);

  it('leaves empty inputs out, turns numbers into numbers and parses JSON; an unused group is left out', () => {
    const values = { ...initialValues(fields, {}), host: 'db', headers: '{"x":"1"}' };
    expect(configOf(fields, values)).toEqual({ config: { host: 'db', port: 5432, sslMode: 'require', headers: { x: '1' } }, errors: {} });
  });

  it('sends a used group, and what cannot be a value is an error at its field', () => {
    const values = {
      ...initialValues(fields, {}),
      host: 'db',
      port: '54.5',
      headers: '{',
      sshTunnel: { [USED]: true, host: 'b', port: 'x', username: '', credentialId: '' },
    };
    expect(configOf(fields, values).errors).toEqual({
      'config.port': 'must be a whole number',
      'config.sshTunnel.port': 'must be a whole number',
      'config.headers': 'must be valid JSON',
    });
  });
});

describe('required fields', () => {
  it('follows if/then: SMTP needs a username only with auth', () => {
    expect([...requiredNames(smtp, { host: 'mail' })]).toEqual(['host']);
    expect([...requiredNames(smtp, { host: 'mail', auth: true })].sort()).toEqual(['host', 'username']);
  });

  it('follows if/else in a group: a tunnel needs a username unless a credential signs in', () => {
    const tunnel = postgres.properties!.sshTunnel as JsonSchema;
    expect([...requiredNames(tunnel, { host: 'b' })].sort()).toEqual(['host', 'username']);
    expect([...requiredNames(tunnel, { host: 'b', credentialId: 'key' })]).toEqual(['host']);
  });

  it('names what is missing as the API would, nested groups included', () => {
    const fields = fieldsOf(postgres);
    expect(missingRequired(fields, postgres, { port: 5432, sshTunnel: { port: 22 } })).toEqual({
      'config.host': 'is required',
      'config.sshTunnel.host': 'is required',
      'config.sshTunnel.username': 'is required',
    });
    expect(missingRequired(fieldsOf(smtp), smtp, { host: 'mail', auth: true })).toEqual({ 'config.username': 'is required' });
  });
});
