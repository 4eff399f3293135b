import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uuidv7 } from '@switchboard/common';
import { ConnectionEntity } from '@switchboard/connections';
import { DataSource } from 'typeorm';
import { createUser, DRIVERS, expectOk, expectProblem, Reply, startTestApp, TestApp } from '../support/test-app';
import { createProject, putMember } from '../support/factories';
import { expectFieldError } from '../support/problems';

const API = '/api/v1';
const MASK = '********';
const CANARY = 'CANARY-conn-987';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type User = Awaited<ReturnType<typeof createUser>>;
type Json = Record<string, any>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One valid minimal create body per type, what the stored config must become, and how its URI reads. */
interface TypeCase {
  type: string;
  config: Json;
  secrets: Record<string, string>;
  expectedConfig: Json;
  uri: string;
}

const TYPE_CASES: TypeCase[] = [
  {
    type: 'postgres',
    config: { host: 'db.internal', database: 'analytics', username: 'reader' },
    secrets: { password: 'pg-secret-1' },
    expectedConfig: { host: 'db.internal', port: 5432, database: 'analytics', username: 'reader', sslMode: 'require' },
    uri: `postgresql://reader:${MASK}@db.internal:5432/analytics`,
  },
  {
    type: 'mysql',
    config: { host: 'mysql.internal', database: 'shop', username: 'reporter' },
    secrets: { password: 'mysql-secret-1' },
    expectedConfig: { host: 'mysql.internal', port: 3306, database: 'shop', username: 'reporter', ssl: false },
    uri: `mysql://reporter:${MASK}@mysql.internal:3306/shop`,
  },
  {
    type: 'sqlite',
    config: { path: 'reports/sales.db' },
    secrets: {},
    expectedConfig: { path: 'reports/sales.db' },
    uri: 'sqlite:///reports/sales.db',
  },
  {
    type: 'http',
    config: { baseUrl: 'https://api.example.com/v2', authType: 'bearer' },
    secrets: { token: 'http-token-1' },
    expectedConfig: {
      baseUrl: 'https://api.example.com/v2',
      authType: 'bearer',
      healthPath: '/',
      method: 'GET',
      expectedStatusMin: 200,
      expectedStatusMax: 399,
      tlsVerify: true,
    },
    uri: 'https://api.example.com/v2',
  },
  {
    type: 'sftp',
    config: { host: 'files.example.com', username: 'exports' },
    secrets: { password: 'sftp-secret-1' },
    expectedConfig: { host: 'files.example.com', port: 22, username: 'exports', rootPath: '/' },
    uri: `sftp://exports:${MASK}@files.example.com:22/`,
  },
  {
    type: 's3',
    config: { bucket: 'acme-exports' },
    secrets: { accessKeyId: 'AKIAEXAMPLE0001', secretAccessKey: 's3-secret-1' },
    expectedConfig: { bucket: 'acme-exports', region: 'us-east-1', forcePathStyle: false, prefix: '' },
    uri: `s3://${MASK}:${MASK}@acme-exports`,
  },
  {
    type: 'smtp',
    config: { host: 'smtp.example.com', auth: true, username: 'mailer', from: 'alerts@example.com' },
    secrets: { password: 'smtp-secret-1' },
    expectedConfig: {
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      auth: true,
      username: 'mailer',
      from: 'alerts@example.com',
      defaultEncoding: 'UTF-8',
      tlsVerify: true,
    },
    uri: `smtp://mailer:${MASK}@smtp.example.com:587?from=alerts@example.com`,
  },
  {
    type: 'generic',
    config: { host: 'rabbit.internal', port: 5672, username: 'app' },
    secrets: { password: 'generic-secret-1' },
    expectedConfig: { host: 'rabbit.internal', port: 5672, username: 'app' },
    uri: `tcp://app:${MASK}@rabbit.internal:5672`,
  },
];

for (const driver of DRIVERS) {
  describe(`connections (${driver})`, () => {
    let t: TestApp;
    let admin: string;
    let owner: User;
    let editor: User;
    let projectAdmin: User;
    let viewer: User;
    let outsider: User;
    // The main project everything but tenancy and scale happens in.
    const P = 'conn-main';
    const base = `${API}/projects/${P}/connections`;

    const call = (method: string, path: string, body?: unknown, token = owner.token, headers?: Record<string, string>) =>
      t.call(method, path, { token, body, headers });

    async function create(body: Json, project = P, token = owner.token): Promise<Json> {
      return expectOk(await call('POST', `${API}/projects/${project}/connections`, body, token), 201);
    }

    async function get(ref: string, project = P, token = owner.token): Promise<Json> {
      return expectOk(await call('GET', `${API}/projects/${project}/connections/${ref}`, undefined, token));
    }

    async function reveal(ref: string, project = P, token = owner.token): Promise<Record<string, string>> {
      return expectOk(await call('GET', `${API}/projects/${project}/connections/${ref}?reveal=true`, undefined, token)).secrets;
    }

    async function createCredential(body: Json, project = P, token = owner.token): Promise<Json> {
      return expectOk(await call('POST', `${API}/projects/${project}/credentials`, body, token), 201);
    }

    const dataSource = () => t.app.get(DataSource);

    /** The credential rows a connection owns (its inline secrets), straight from the table. */
    async function ownedRows(connectionId: string): Promise<{ id: string; secret_envelope: string }[]> {
      return dataSource()
        .createQueryBuilder()
        .select('c.id', 'id')
        .addSelect('c.secret_envelope', 'secret_envelope')
        .from('credentials', 'c')
        .where('c.owner_connection_id = :id', { id: connectionId })
        .getRawMany();
    }

    async function credentialRowExists(id: string): Promise<boolean> {
      const rows = await dataSource()
        .createQueryBuilder()
        .select('c.id', 'id')
        .from('credentials', 'c')
        .where('c.id = :id', { id })
        .getRawMany();
      return rows.length > 0;
    }

    before(async () => {
      t = await startTestApp(driver);
      admin = (await t.login()).accessToken;
      owner = await createUser(t, admin, 'conn-owner');
      editor = await createUser(t, admin, 'conn-editor');
      projectAdmin = await createUser(t, admin, 'conn-padmin');
      viewer = await createUser(t, admin, 'conn-viewer');
      outsider = await createUser(t, admin, 'conn-outsider');
      await createProject(t, owner.token, P);
      await putMember(t, owner.token, P, editor.id, 'editor');
      await putMember(t, owner.token, P, projectAdmin.id, 'admin');
      await putMember(t, owner.token, P, viewer.id, 'viewer');
    });
    after(() => t?.close());

    describe('connection types', () => {
      it('lists exactly the ten types with label, description, schema, defaults, secret fields, capabilities', async () => {
        const reply = expectOk(await t.call('GET', `${API}/connection-types`, { token: viewer.token }));
        const types: Json[] = reply.data;
        assert.deepEqual(types.map((type) => type.type).sort(), [
          'databricks',
          'generic',
          'http',
          'iceberg',
          'mysql',
          'postgres',
          's3',
          'sftp',
          'smtp',
          'sqlite',
        ]);
        for (const type of types) {
          assert.ok(typeof type.label === 'string' && type.label.length > 0, `${type.type} label`);
          assert.ok(typeof type.description === 'string' && type.description.length > 0, `${type.type} description`);
          assert.equal(type.configSchema.type, 'object', `${type.type} configSchema`);
          assert.equal(type.configSchema.additionalProperties, false, `${type.type} configSchema must refuse unknown fields`);
          assert.equal(typeof type.configSchema.properties, 'object');
          assert.equal(typeof type.defaults, 'object');
          assert.ok(Array.isArray(type.secretFields), `${type.type} secretFields`);
          for (const field of type.secretFields) {
            assert.equal(typeof field.name, 'string');
            assert.equal(typeof field.label, 'string');
          }
          assert.ok(Array.isArray(type.capabilities) && type.capabilities.includes('test'), `${type.type} capabilities`);
        }
        const byType = Object.fromEntries(types.map((type) => [type.type, type]));
        assert.equal(byType.postgres.defaults.port, 5432);
        assert.equal(byType.mysql.defaults.port, 3306);
        assert.equal(byType.sftp.defaults.port, 22);
        assert.equal(byType.smtp.defaults.port, 587);
        assert.equal(byType.http.defaults.healthPath, '/');
        const secretNames = (type: string) => byType[type].secretFields.map((field: Json) => field.name);
        assert.ok(secretNames('postgres').includes('password'));
        assert.ok(secretNames('mysql').includes('password'));
        assert.deepEqual(secretNames('sqlite'), []);
        const ssh = ['sshPassword', 'sshPrivateKey', 'sshPassphrase'];
        assert.deepEqual(secretNames('http').sort(), ['password', 'tlsCa', 'tlsCert', 'tlsKey', 'token', ...ssh].sort());
        assert.deepEqual(secretNames('sftp').sort(), ['passphrase', 'password', 'privateKey', ...ssh].sort());
        assert.deepEqual(secretNames('s3').sort(), ['accessKeyId', 'secretAccessKey', 'sessionToken']);
        assert.deepEqual(secretNames('smtp'), ['password', 'tlsCa', 'tlsCert', 'tlsKey', ...ssh]);
        assert.deepEqual(secretNames('generic'), ['password', ...ssh]);
        assert.deepEqual(secretNames('databricks'), ['token', 'clientSecret', 'tlsCa', ...ssh]);
        // Every type that opens TCP to a host can go through an SSH bastion.
        for (const type of ['postgres', 'mysql', 'http', 'sftp', 'smtp', 'generic', 'databricks']) {
          const sshTunnel = byType[type].configSchema.properties.sshTunnel;
          assert.deepEqual(sshTunnel.required, ['host'], type);
          // username, unless a shared ssh-key credential (credentialId) supplies it
          assert.deepEqual(sshTunnel.if.required, ['credentialId'], type);
          assert.deepEqual(sshTunnel.else.required, ['username'], type);
          assert.equal(sshTunnel.properties.credentialId.type, 'string', type);
          assert.ok(
            ssh.every((name) => secretNames(type).includes(name)),
            type,
          );
        }
        assert.equal(byType.sqlite.configSchema.properties.sshTunnel, undefined);
        assert.equal(byType.s3.configSchema.properties.sshTunnel, undefined);
        assert.ok(byType.postgres.capabilities.includes('tables'));
        assert.ok(byType.smtp.capabilities.includes('sendTestEmail'));
        assert.ok(byType.s3.capabilities.includes('files'));
      });

      it('gets one type; an unknown one is 404; both need authentication', async () => {
        const list = expectOk(await t.call('GET', `${API}/connection-types`, { token: viewer.token })).data as Json[];
        for (const type of ['postgres', 'smtp', 'sqlite']) {
          const one = expectOk(await t.call('GET', `${API}/connection-types/${type}`, { token: outsider.token }));
          assert.deepEqual(
            one,
            list.find((entry) => entry.type === type),
          );
        }
        expectProblem(await t.call('GET', `${API}/connection-types/oracle`, { token: viewer.token }), 404, 'NOT_FOUND');
        expectProblem(await t.call('GET', `${API}/connection-types`), 401, 'UNAUTHORIZED');
        expectProblem(await t.call('GET', `${API}/connection-types/postgres`), 401, 'UNAUTHORIZED');
        expectProblem(await t.call('GET', `${API}/connection-types`, { token: 'not-a-token' }), 401, 'UNAUTHORIZED');
      });
    });

    describe('create with config and inline secrets', () => {
      for (const c of TYPE_CASES) {
        it(`creates a ${c.type} connection: 201, Location, ETag, defaults, masked secrets and uri`, async () => {
          const name = `new-${c.type}`;
          const reply = await call('POST', base, {
            name,
            type: c.type,
            config: c.config,
            ...(Object.keys(c.secrets).length && { secrets: c.secrets }),
            description: `A ${c.type} connection`,
            labels: { env: 'test' },
          });
          const body = expectOk(reply, 201);
          assert.match(body.id, UUID);
          assert.equal(reply.headers.get('location'), `${base}/${body.id}`);
          assert.equal(reply.headers.get('etag'), '"1"');
          assert.equal(body.name, name);
          assert.equal(body.type, c.type);
          assert.equal(body.description, `A ${c.type} connection`);
          assert.deepEqual(body.config, c.expectedConfig);
          assert.equal(body.credentialId, null);
          assert.deepEqual([...body.secretFields].sort(), Object.keys(c.secrets).sort());
          assert.deepEqual(body.secrets, Object.fromEntries(Object.keys(c.secrets).map((key) => [key, MASK])));
          assert.equal(body.uri, c.uri);
          assert.equal(body.enabled, true);
          assert.deepEqual(body.labels, { env: 'test' });
          assert.equal(body.version, 1);
          assert.equal(body.createdBy, owner.id);
          assert.ok(!Number.isNaN(Date.parse(body.createdAt)));
          assert.equal(body.createdAt, body.updatedAt);
          for (const value of Object.values(c.secrets)) assert.ok(!reply.text.includes(value), 'a secret leaked into the create response');

          // The single read says the same, by name and by id, with an ETag.
          const byName = await call('GET', `${base}/${name}`);
          assert.equal(byName.status, 200, byName.text);
          assert.equal(byName.headers.get('etag'), '"1"');
          assert.deepEqual(byName.body, body);
          assert.deepEqual(await get(body.id), body);
          assert.deepEqual(await get(body.id.toUpperCase()), body);
          // And the stored secrets are exactly what was sent.
          assert.deepEqual(await reveal(name), c.secrets);
        });
      }

      it('refuses unknown config fields, wrong types and out-of-range values with 400 on config.<field>', async () => {
        const post = (body: Json) => call('POST', base, body);
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', bogus: 1 } }), 'config.bogus');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', port: 70000 } }), 'config.port');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', port: 0 } }), 'config.port');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', port: '5432' } }), 'config.port');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', port: 54.5 } }), 'config.port');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', sslMode: 'prefer' } }), 'config.sslMode');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { port: 5432 } }), 'config.host');
        expectFieldError(await post({ name: 'bad-1', type: 'postgres', config: { host: 'db:5432' } }), 'config.host');
        expectFieldError(await post({ name: 'bad-1', type: 'mysql', config: { host: 'h', ssl: 'yes' } }), 'config.ssl');
        expectFieldError(await post({ name: 'bad-1', type: 'sqlite', config: {} }), 'config.path');
        expectFieldError(await post({ name: 'bad-1', type: 'http', config: { baseUrl: 'ftp://x.example.com' } }), 'config.baseUrl');
        expectFieldError(await post({ name: 'bad-1', type: 'sftp', config: { host: 'h' } }), 'config.username');
        expectFieldError(await post({ name: 'bad-1', type: 's3', config: { bucket: 'Not_A_Bucket' } }), 'config.bucket');
        expectFieldError(await post({ name: 'bad-1', type: 'smtp', config: { host: 'h', security: 'ssl' } }), 'config.security');
        expectFieldError(await post({ name: 'bad-1', type: 'generic', config: { host: 'h' } }), 'config.port');
        expectFieldError(await post({ name: 'bad-1', type: 'generic', config: 'host=h' }), 'config');
        expectFieldError(await post({ name: 'bad-1', type: 'oracle', config: { host: 'h' } }), 'type');
        expectFieldError(
          await post({ name: 'bad-1', type: 'generic', config: { host: 'h', port: 1 }, labels: { 'bad key': 'x' } }),
          'labels.bad key',
        );
        expectFieldError(await post({ name: 'bad-1', type: 'generic', config: { host: 'h', port: 1 }, labels: { n: 5 } }), 'labels.n');
        expectFieldError(await post({ name: 'bad-1', type: 'generic', config: { host: 'h', port: 1 }, enabled: 'yes' }), 'enabled');
        // Several problems are reported at once.
        const several = await post({ name: 'bad-1', type: 'postgres', config: { host: 'h', port: 70000, bogus: true } });
        expectFieldError(several, 'config.port');
        expectFieldError(several, 'config.bogus');
        assert.equal((await call('GET', `${base}/bad-1`)).status, 404, 'nothing may be stored by a refused create');
      });

      it('refuses unknown secret names with 400 on secrets.<name>', async () => {
        expectFieldError(
          await call('POST', base, { name: 'bad-2', type: 'postgres', config: { host: 'h' }, secrets: { password: 'x', apiKey: 'y' } }),
          'secrets.apiKey',
        );
        expectFieldError(
          await call('POST', base, { name: 'bad-2', type: 'sqlite', config: { path: 'a.db' }, secrets: { password: 'x' } }),
          'secrets.password',
        );
        expectFieldError(
          await call('POST', base, { name: 'bad-2', type: 'postgres', config: { host: 'h' }, secrets: { password: 42 } }),
          'secrets.password',
        );
        // The mask is not a secret on create.
        expectFieldError(
          await call('POST', base, { name: 'bad-2', type: 'postgres', config: { host: 'h' }, secrets: { password: MASK } }),
          'secrets.password',
        );
        assert.equal((await call('GET', `${base}/bad-2`)).status, 404);
      });

      it('smtp: auth true needs config.username and secrets.password; false needs neither', async () => {
        const smtp = (config: Json, secrets?: Json) =>
          call('POST', base, { name: 'smtp-rule', type: 'smtp', config, ...(secrets && { secrets }) });
        expectFieldError(await smtp({ host: 'smtp.example.com', auth: true }, { password: 'pw' }), 'config.username');
        expectFieldError(await smtp({ host: 'smtp.example.com', auth: true, username: 'mailer' }), 'secrets.password');
        const open = expectOk(await smtp({ host: 'smtp.example.com' }), 201);
        assert.equal(open.config.auth, false);
        assert.deepEqual(open.secretFields, []);
        assert.equal(open.uri, 'smtp://smtp.example.com:587');
      });

      it('s3 requires accessKeyId and secretAccessKey', async () => {
        const s3 = (secrets?: Json) =>
          call('POST', base, { name: 's3-rule', type: 's3', config: { bucket: 'rule-bucket' }, ...(secrets && { secrets }) });
        const none = await s3();
        expectFieldError(none, 'secrets.accessKeyId');
        expectFieldError(none, 'secrets.secretAccessKey');
        expectFieldError(await s3({ accessKeyId: 'AKIA1' }), 'secrets.secretAccessKey');
        expectFieldError(await s3({ secretAccessKey: 'shh' }), 'secrets.accessKeyId');
        expectOk(await s3({ accessKeyId: 'AKIA1', secretAccessKey: 'shh' }), 201);
      });

      it('refuses a body without type and config (400 on both)', async () => {
        const reply = await call('POST', base, { name: 'nothing' });
        expectFieldError(reply, 'type');
        expectFieldError(reply, 'config');
        expectFieldError(await call('POST', base, { name: 'nothing', type: 'postgres' }), 'config');
        expectFieldError(await call('POST', base, { name: 'nothing', config: { host: 'h' } }), 'type');
        expectFieldError(await call('POST', base, { type: 'generic', config: { host: 'h', port: 1 } }), 'name');
        expectFieldError(await call('POST', base, { name: 'nothing', type: 'generic', config: { host: 'h', port: 1 }, bogus: 1 }), 'bogus');
      });

      it('applies the name slug rules and answers 409 on a duplicate name', async () => {
        const body = (name: unknown) => ({ name, type: 'generic', config: { host: 'h', port: 1 } });
        for (const name of [
          'has space',
          'under_score',
          '1digit',
          'x',
          'double--hyphen',
          'trailing-',
          '',
          'a'.repeat(64),
          'abcdef01-2345-7abc-8def-0123456789ab',
          42,
        ]) {
          expectFieldError(await call('POST', base, body(name)), 'name');
        }
        const upper = expectOk(await call('POST', base, body('  Dup-Name ')), 201);
        assert.equal(upper.name, 'dup-name');
        expectProblem(await call('POST', base, body('dup-name')), 409, 'CONFLICT');
        expectProblem(await call('POST', base, body('DUP-NAME')), 409, 'CONFLICT');
        // A duplicate with inline secrets leaves no orphaned credential row behind.
        const before = await dataSource().createQueryBuilder().select('COUNT(*)', 'n').from('credentials', 'c').getRawOne();
        expectProblem(await call('POST', base, { ...body('dup-name'), secrets: { password: 'orphan?' } }), 409, 'CONFLICT');
        const afterCount = await dataSource().createQueryBuilder().select('COUNT(*)', 'n').from('credentials', 'c').getRawOne();
        assert.equal(Number(afterCount.n), Number(before.n));
      });
    });

    describe('create by uri', () => {
      it('parses a postgresql:// URI: config, decoded password (reveal), masked uri', async () => {
        const created = await create({ name: 'from-uri-pg', uri: 'postgresql://user:p%40ss@host:5433/db?sslmode=require' });
        assert.equal(created.type, 'postgres');
        assert.deepEqual(created.config, { host: 'host', port: 5433, database: 'db', username: 'user', sslMode: 'require' });
        assert.deepEqual(created.secretFields, ['password']);
        assert.deepEqual(created.secrets, { password: MASK });
        assert.equal(created.uri, `postgresql://user:${MASK}@host:5433/db`);
        assert.ok(!JSON.stringify(created).includes('p@ss') && !JSON.stringify(created).includes('p%40ss'));
        assert.deepEqual(await reveal('from-uri-pg'), { password: 'p@ss' });
        // type may be repeated when it agrees with the scheme; the postgres:// scheme works too.
        const typed = await create({
          name: 'from-uri-pg2',
          type: 'postgres',
          uri: 'postgres://u:pw@db.example.com/app?sslmode=verify-full',
        });
        assert.deepEqual(typed.config, { host: 'db.example.com', port: 5432, database: 'app', username: 'u', sslMode: 'verify-full' });
        assert.equal(typed.uri, `postgresql://u:${MASK}@db.example.com:5432/app?sslmode=verify-full`);
      });

      it('parses mysql://, sftp://, smtp://, smtps://, s3:// and https:// URIs', async () => {
        const mysql = await create({ name: 'from-uri-mysql', uri: 'mysql://root:my%20pw@mysql.local:3307/shop?ssl=true' });
        assert.equal(mysql.type, 'mysql');
        assert.deepEqual(mysql.config, { host: 'mysql.local', port: 3307, database: 'shop', username: 'root', ssl: true });
        assert.equal(mysql.uri, `mysql://root:${MASK}@mysql.local:3307/shop?ssl=true`);
        assert.deepEqual(await reveal('from-uri-mysql'), { password: 'my pw' });

        const sftp = await create({ name: 'from-uri-sftp', uri: 'sftp://exports:sftp-pw@files.local:2222/srv/exports' });
        assert.equal(sftp.type, 'sftp');
        assert.deepEqual(sftp.config, { host: 'files.local', port: 2222, username: 'exports', rootPath: '/srv/exports' });
        assert.equal(sftp.uri, `sftp://exports:${MASK}@files.local:2222/srv/exports`);
        assert.deepEqual(await reveal('from-uri-sftp'), { password: 'sftp-pw' });

        const smtp = await create({ name: 'from-uri-smtp', uri: 'smtp://mailer:smtp-pw@smtp.local:2525?from=alerts@example.com' });
        assert.equal(smtp.type, 'smtp');
        assert.deepEqual(smtp.config, {
          host: 'smtp.local',
          port: 2525,
          security: 'starttls',
          auth: true,
          username: 'mailer',
          from: 'alerts@example.com',
          defaultEncoding: 'UTF-8',
          tlsVerify: true,
        });
        assert.equal(smtp.uri, `smtp://mailer:${MASK}@smtp.local:2525?from=alerts@example.com`);
        assert.deepEqual(await reveal('from-uri-smtp'), { password: 'smtp-pw' });

        const smtps = await create({ name: 'from-uri-smtps', uri: 'smtps://mailer:smtps-pw@smtp.local' });
        assert.equal(smtps.config.security, 'tls');
        assert.equal(smtps.config.port, 465);
        assert.equal(smtps.config.auth, true);
        assert.equal(smtps.uri, `smtps://mailer:${MASK}@smtp.local:465`);
        assert.deepEqual(await reveal('from-uri-smtps'), { password: 'smtps-pw' });

        const s3 = await create({
          name: 'from-uri-s3',
          uri: 's3://AKIAURI0001:s3%2Fsecret@uri-bucket/exports/daily?region=eu-central-1&endpoint=https://minio.local:9000&forcePathStyle=true',
        });
        assert.equal(s3.type, 's3');
        assert.deepEqual(s3.config, {
          bucket: 'uri-bucket',
          prefix: 'exports/daily',
          region: 'eu-central-1',
          endpoint: 'https://minio.local:9000',
          forcePathStyle: true,
        });
        assert.deepEqual([...s3.secretFields].sort(), ['accessKeyId', 'secretAccessKey']);
        assert.ok(s3.uri.startsWith(`s3://${MASK}:${MASK}@uri-bucket/`), s3.uri);
        assert.ok(!s3.uri.includes('AKIAURI0001'));
        assert.deepEqual(await reveal('from-uri-s3'), { accessKeyId: 'AKIAURI0001', secretAccessKey: 's3/secret' });

        const https = await create({ name: 'from-uri-https', uri: 'https://apiuser:api-pw@api.example.com/v2' });
        assert.equal(https.type, 'http');
        assert.equal(https.config.baseUrl, 'https://api.example.com/v2');
        assert.equal(https.config.authType, 'basic');
        assert.equal(https.config.username, 'apiuser');
        assert.equal(https.uri, `https://apiuser:${MASK}@api.example.com/v2`);
        assert.deepEqual(await reveal('from-uri-https'), { password: 'api-pw' });
      });

      it('refuses a scheme contradicting type, uri together with config, and unusable URIs (never echoing the password)', async () => {
        expectFieldError(await call('POST', base, { name: 'uri-bad', type: 'mysql', uri: 'postgresql://u:pw@h/db' }), 'type');
        expectFieldError(
          await call('POST', base, { name: 'uri-bad', type: 'postgres', uri: 'postgresql://u:pw@h/db', config: { host: 'h' } }),
          'uri',
        );
        const password = 'Garbage-Pw-771';
        for (const uri of [
          `not a uri at all ${password}`,
          `postgresql://u:${password}@host:99999/db`,
          `ftp://u:${password}@files.example.com/`,
          `postgresql://u:${password}@host/db?bogus=1`,
          `postgresql://u:${password}@host/db/extra/segments`,
          `postgresql://u:${password}@host:5432/db#frag`,
          `postgresql://u:${MASK}@host/db`,
          `postgresql://u:${password}@ho%ZZst/db`,
        ]) {
          const reply = await call('POST', base, { name: 'uri-bad', uri });
          expectFieldError(reply, 'uri');
          assert.ok(!reply.text.includes(password), `the password leaked for ${uri}: ${reply.text}`);
          assert.ok(!reply.text.includes(uri), `the uri was echoed: ${reply.text}`);
        }
        expectFieldError(await call('POST', base, { name: 'uri-bad', uri: 42 }), 'uri');
        assert.equal((await call('GET', `${base}/uri-bad`)).status, 404);
        assert.ok(!t.logs.some((line) => line.includes(password)), 'the password of a refused URI was logged');
      });
    });

    describe('create with a shared credential', () => {
      let basic: Json;

      before(async () => {
        basic = await createCredential({
          name: 'pg-login',
          type: 'basic',
          fields: { username: 'reader' },
          secrets: { password: 'shared-pw' },
        });
      });

      it('uses a basic credential on postgres: credentialId set, secretFields from it, no inline secrets', async () => {
        const created = await create({
          name: 'shared-pg',
          type: 'postgres',
          config: { host: 'db.internal', username: 'reader' },
          credentialId: basic.id,
        });
        assert.equal(created.credentialId, basic.id);
        assert.deepEqual(created.secretFields, ['password']);
        assert.deepEqual(created.secrets, { password: MASK });
        assert.ok(!JSON.stringify(created).includes('shared-pw'));
        assert.equal(created.uri, `postgresql://reader:${MASK}@db.internal:5432`);
        assert.deepEqual(await ownedRows(created.id), [], 'a shared credential must not be copied into an owned one');
        assert.deepEqual(await get('shared-pg'), created, 'the create answer is what a read says');
        assert.deepEqual(await reveal('shared-pg'), { password: 'shared-pw' });
        // The shared credential itself is unchanged and still listed.
        const credentials = expectOk(await call('GET', `${API}/projects/${P}/credentials`));
        assert.deepEqual(
          credentials.data.map((credential: Json) => credential.name),
          ['pg-login'],
          'owned credentials must not appear among shared ones',
        );
      });

      it('refuses credentialId with secrets, an incompatible or incomplete credential, and another project’s', async () => {
        const pg = (credentialId: string, extra: Json = {}) =>
          call('POST', base, { name: 'shared-bad', type: 'postgres', config: { host: 'h' }, credentialId, ...extra });
        expectFieldError(await pg(basic.id, { secrets: { password: 'inline' } }), 'secrets');

        const aws = await createCredential({
          name: 'aws-keys',
          type: 'aws',
          secrets: { accessKeyId: 'AKIA2', secretAccessKey: 'aws-secret' },
        });
        expectFieldError(await pg(aws.id), 'credentialId');

        // s3 needs both keys: a generic credential holding only one cannot serve it.
        const partial = await createCredential({ name: 'half-keys', type: 'generic', secrets: { accessKeyId: 'AKIA3' } });
        expectFieldError(
          await call('POST', base, { name: 'shared-bad', type: 's3', config: { bucket: 'half-bucket' }, credentialId: partial.id }),
          'credentialId',
        );
        // http basic auth needs a password: a token credential lacks it.
        const token = await createCredential({ name: 'api-token', type: 'token', secrets: { token: 'tok' } });
        expectFieldError(
          await call('POST', base, {
            name: 'shared-bad',
            type: 'http',
            config: { baseUrl: 'https://api.example.com', authType: 'basic', username: 'u' },
            credentialId: token.id,
          }),
          'credentialId',
        );
        // A generic credential serves postgres with just the secrets postgres knows.
        const wide = await createCredential({ name: 'wide', type: 'generic', secrets: { password: 'wide-pw', apiKey: 'wide-key' } });
        const narrowed = await create({ name: 'shared-wide', type: 'postgres', config: { host: 'h' }, credentialId: wide.id });
        assert.deepEqual(narrowed.secretFields, ['password']);
        assert.deepEqual(narrowed.secrets, { password: MASK });
        assert.deepEqual(await reveal('shared-wide'), { password: 'wide-pw' });
        // The same aws credential does serve s3.
        const s3 = await create({ name: 'shared-s3', type: 's3', config: { bucket: 'shared-bucket' }, credentialId: aws.id });
        assert.deepEqual([...s3.secretFields].sort(), ['accessKeyId', 'secretAccessKey']);

        await createProject(t, owner.token, 'conn-other');
        const foreign = await createCredential({ name: 'foreign', type: 'basic', secrets: { password: 'foreign-pw' } }, 'conn-other');
        expectFieldError(await pg(foreign.id), 'credentialId');
        expectFieldError(await pg('0193a5b2-0000-7000-8000-00000000dead'), 'credentialId');
        expectFieldError(await pg('not-a-uuid'), 'credentialId');
        assert.equal((await call('GET', `${base}/shared-bad`)).status, 404);
      });
    });

    describe('single read and reveal', () => {
      it('masks secrets; ?reveal=true needs secrets:reveal (editor 403, admin 200) and is audited', async () => {
        const created = await create(
          { name: 'reveal-me', type: 'postgres', config: { host: 'db.internal' }, secrets: { password: 'reveal-pw' } },
          P,
          editor.token,
        );
        for (const token of [viewer.token, editor.token, projectAdmin.token]) {
          const masked = await get('reveal-me', P, token);
          assert.deepEqual(masked.secrets, { password: MASK });
          assert.ok(!JSON.stringify(masked).includes('reveal-pw'));
        }
        assert.deepEqual((await get('reveal-me', P, viewer.token)).secrets, { password: MASK });
        assert.deepEqual((await get(`reveal-me?reveal=false`)).secrets, { password: MASK });
        for (const token of [viewer.token, editor.token]) {
          const denied = await call('GET', `${base}/reveal-me?reveal=true`, undefined, token);
          expectProblem(denied, 403, 'FORBIDDEN');
          assert.ok(!denied.text.includes('reveal-pw'));
        }
        expectFieldError(await call('GET', `${base}/reveal-me?reveal=yes`), 'reveal');
        assert.deepEqual(await reveal('reveal-me', P, projectAdmin.token), { password: 'reveal-pw' });

        const events = expectOk(
          await call('GET', `${API}/projects/${P}/audit-events?action=connection.reveal`, undefined, projectAdmin.token),
        );
        const mine = events.data.filter((event: Json) => event.target?.id === created.id);
        assert.equal(mine.length, 1, JSON.stringify(events.data));
        assert.equal(mine[0].action, 'connection.reveal');
        assert.equal(mine[0].actor.userId, projectAdmin.id);
        assert.equal(mine[0].target.type, 'connection');
        assert.equal(mine[0].target.name, 'reveal-me');
        assert.ok(!JSON.stringify(events).includes('reveal-pw'));
        expectProblem(await call('GET', `${base}/no-such-connection`), 404, 'NOT_FOUND');
        expectProblem(await call('GET', `${base}/0193a5b2-0000-7000-8000-00000000beef`), 404, 'NOT_FOUND');
      });
    });

    describe('update', () => {
      it('PATCH merges config (null removes an optional key), labels, description, enabled; bumps the version', async () => {
        const created = await create({
          name: 'patch-me',
          type: 'postgres',
          config: { host: 'db.internal', database: 'app', username: 'reader', schema: 'reporting' },
          secrets: { password: 'patch-pw' },
          description: 'to be cleared',
          labels: { team: 'data', env: 'prod' },
        });
        const reply = await call('PATCH', `${base}/patch-me`, {
          config: { schema: null, sslMode: 'verify-full', username: 'writer' },
          labels: { env: 'staging', team: null, tier: '1' },
          description: null,
          enabled: false,
        });
        const patched = expectOk(reply);
        assert.equal(reply.headers.get('etag'), '"2"');
        assert.deepEqual(patched.config, { host: 'db.internal', port: 5432, database: 'app', username: 'writer', sslMode: 'verify-full' });
        assert.deepEqual(patched.labels, { env: 'staging', tier: '1' });
        assert.equal(patched.description, null);
        assert.equal(patched.enabled, false);
        assert.equal(patched.version, 2);
        assert.equal(patched.id, created.id);
        assert.equal(patched.createdAt, created.createdAt);
        assert.ok(Date.parse(patched.updatedAt) >= Date.parse(created.updatedAt));
        assert.deepEqual(await get('patch-me'), patched);
        assert.deepEqual(await reveal('patch-me'), { password: 'patch-pw' }, 'an omitted secret is kept');

        // Required keys cannot be removed, invalid merged config is refused, nothing changes.
        expectFieldError(await call('PATCH', `${base}/patch-me`, { config: { host: null } }), 'config.host');
        expectFieldError(await call('PATCH', `${base}/patch-me`, { config: { port: 70000 } }), 'config.port');
        expectFieldError(await call('PATCH', `${base}/patch-me`, { config: { bogus: 1 } }), 'config.bogus');
        expectFieldError(await call('PATCH', `${base}/patch-me`, { labels: { 'bad key!': 'x' } }), 'labels.bad key!');
        expectFieldError(await call('PATCH', `${base}/patch-me`, { enabled: null }), 'enabled');
        expectFieldError(await call('PATCH', `${base}/patch-me`, { name: 'Not A Slug' }), 'name');
        // Unknown properties (type among them: PATCH cannot change it) are refused.
        expectFieldError(await call('PATCH', `${base}/patch-me`, { bogus: 1 }), 'bogus');
        expectFieldError(await call('PATCH', `${base}/patch-me`, { type: 'mysql' }), 'type');
        assert.equal((await get('patch-me')).version, 2);

        const renamed = expectOk(await call('PATCH', `${base}/patch-me`, { name: 'patch-me-2', enabled: true }));
        assert.equal(renamed.name, 'patch-me-2');
        assert.equal(renamed.version, 3);
        expectProblem(await call('GET', `${base}/patch-me`), 404, 'NOT_FOUND');
        await create({ name: 'patch-taken', type: 'generic', config: { host: 'h', port: 1 } });
        expectProblem(await call('PATCH', `${base}/patch-me-2`, { name: 'patch-taken' }), 409, 'CONFLICT');
        expectOk(await call('PATCH', `${base}/patch-me-2`, { name: 'patch-me' }));
        expectProblem(await call('PATCH', `${base}/nope-nope`, { enabled: false }), 404, 'NOT_FOUND');
      });

      it('PATCH takes application/merge-patch+json; a null body is refused and changes nothing', async () => {
        await create({ name: 'media-type', type: 'generic', config: { host: 'h', port: 1 } });
        const patched = expectOk(
          await call('PATCH', `${base}/media-type`, { description: 'via merge-patch' }, owner.token, {
            'content-type': 'application/merge-patch+json',
          }),
        );
        assert.equal(patched.description, 'via merge-patch');
        assert.equal(patched.version, 2);
        // RFC 7396 reads a null patch as "replace the whole resource with null": not "change nothing".
        for (const contentType of ['application/json', 'application/merge-patch+json']) {
          const refused = await call('PATCH', `${base}/media-type`, 'null', owner.token, { 'content-type': contentType });
          expectProblem(refused, 400, 'MALFORMED_REQUEST');
        }
        assert.equal((await get('media-type')).version, 2);
        expectProblem(await call('PATCH', `${base}/media-type`, '{"description": "x"', owner.token), 400, 'MALFORMED_REQUEST');
        expectProblem(
          await call('PATCH', `${base}/media-type`, 'description=x', owner.token, { 'content-type': 'text/plain' }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      });

      it('names are stored lowercase and found in any case, as are project slugs', async () => {
        const created = await create({ name: 'Mixed-Case ', type: 'generic', config: { host: 'h', port: 1 } });
        assert.equal(created.name, 'mixed-case');
        assert.equal((await get('MIXED-CASE')).id, created.id);
        assert.equal(expectOk(await call('GET', `${API}/projects/${P.toUpperCase()}/connections/Mixed-Case`)).id, created.id);
        expectOk(await call('PATCH', `${base}/MiXeD-cAsE`, { description: 'found' }));
        assert.equal((await get('mixed-case')).description, 'found');
        const credential = await createCredential({
          name: 'Case-Cred',
          type: 'basic',
          fields: { username: 'u' },
          secrets: { password: 'p' },
        });
        assert.equal(credential.name, 'case-cred');
        assert.equal(expectOk(await call('GET', `${API}/projects/${P}/credentials/CASE-CRED`)).id, credential.id);
      });

      it('secrets: omitted or the mask keeps, null clears, a value sets', async () => {
        await create({
          name: 'secret-rules',
          type: 'sftp',
          config: { host: 'files.example.com', username: 'u' },
          secrets: { password: 'pw-1', passphrase: 'pp-1' },
        });
        expectOk(await call('PATCH', `${base}/secret-rules`, { enabled: false }));
        assert.deepEqual(await reveal('secret-rules'), { password: 'pw-1', passphrase: 'pp-1' });
        expectOk(await call('PATCH', `${base}/secret-rules`, { secrets: { password: MASK, passphrase: MASK } }));
        assert.deepEqual(await reveal('secret-rules'), { password: 'pw-1', passphrase: 'pp-1' });
        const cleared = expectOk(await call('PATCH', `${base}/secret-rules`, { secrets: { passphrase: null } }));
        assert.deepEqual(cleared.secretFields, ['password']);
        assert.deepEqual(cleared.secrets, { password: MASK });
        assert.deepEqual(await reveal('secret-rules'), { password: 'pw-1' });
        const set = expectOk(await call('PATCH', `${base}/secret-rules`, { secrets: { password: 'pw-2', privateKey: 'KEY-2' } }));
        assert.deepEqual([...set.secretFields].sort(), ['password', 'privateKey']);
        assert.deepEqual(await reveal('secret-rules'), { password: 'pw-2', privateKey: 'KEY-2' });
        expectFieldError(await call('PATCH', `${base}/secret-rules`, { secrets: { token: 'x' } }), 'secrets.token');
        expectFieldError(await call('PATCH', `${base}/secret-rules`, { secrets: { password: '' } }), 'secrets.password');
        expectFieldError(await call('PATCH', `${base}/secret-rules`, { secrets: null }), 'secrets');
        // Clearing the last secret removes the owned credential row.
        const id = (await get('secret-rules')).id;
        assert.equal((await ownedRows(id)).length, 1);
        const none = expectOk(await call('PATCH', `${base}/secret-rules`, { secrets: { password: null, privateKey: null } }));
        assert.deepEqual(none.secretFields, []);
        assert.deepEqual(none.secrets, {});
        assert.equal(none.uri, 'sftp://u@files.example.com:22/');
        assert.deepEqual(await ownedRows(id), []);
        assert.deepEqual(await reveal('secret-rules'), {});
      });

      it('s3 keeps its required keys: clearing one is refused', async () => {
        await create({
          name: 's3-clear',
          type: 's3',
          config: { bucket: 'clear-bucket' },
          secrets: { accessKeyId: 'AK', secretAccessKey: 'SK' },
        });
        expectFieldError(await call('PATCH', `${base}/s3-clear`, { secrets: { secretAccessKey: null } }), 'secrets.secretAccessKey');
        assert.deepEqual(await reveal('s3-clear'), { accessKeyId: 'AK', secretAccessKey: 'SK' });
      });

      const moves: { name: string; type: string; config: Json; secrets: Record<string, string>; changes: Json[]; reentered: Json }[] = [
        {
          name: 'move-pg',
          type: 'postgres',
          config: { host: 'db.internal', database: 'app', username: 'reader' },
          secrets: { password: 'move-pg-pw' },
          changes: [{ host: 'evil.example.com' }, { port: 6543 }, { database: 'other' }],
          reentered: { password: 'move-pg-pw-2' },
        },
        {
          name: 'move-s3',
          type: 's3',
          config: { bucket: 'move-bucket' },
          secrets: { accessKeyId: 'AKMOVE', secretAccessKey: 'move-s3-secret' },
          changes: [{ bucket: 'evil-bucket' }, { endpoint: 'https://evil.example.com' }],
          reentered: { accessKeyId: 'AKMOVE2', secretAccessKey: 'move-s3-secret-2' },
        },
        {
          name: 'move-http',
          type: 'http',
          config: { baseUrl: 'https://api.example.com', authType: 'bearer' },
          secrets: { token: 'move-http-token' },
          changes: [{ baseUrl: 'https://evil.example.com' }],
          reentered: { token: 'move-http-token-2' },
        },
      ];
      for (const move of moves) {
        it(`${move.type}: pointing elsewhere while keeping an inline secret is 422 and changes nothing; re-entered it is 200`, async () => {
          const created = await create({ name: move.name, type: move.type, config: move.config, secrets: move.secrets });
          const masked = Object.fromEntries(Object.keys(move.secrets).map((key) => [key, MASK]));
          for (const change of move.changes) {
            for (const secrets of [undefined, masked]) {
              for (const method of ['PATCH', 'PUT']) {
                const body =
                  method === 'PATCH'
                    ? { config: change, ...(secrets && { secrets }) }
                    : { name: move.name, type: move.type, config: { ...created.config, ...change }, ...(secrets && { secrets }) };
                const reply = await call(method, `${base}/${move.name}`, body);
                expectProblem(reply, 422, 'UNPROCESSABLE');
                for (const value of Object.values(move.secrets)) assert.ok(!reply.text.includes(value));
              }
            }
          }
          // Only some of the secrets re-entered: still refused.
          if (Object.keys(move.secrets).length > 1) {
            const [first] = Object.keys(move.reentered);
            expectProblem(
              await call('PATCH', `${base}/${move.name}`, { config: move.changes[0], secrets: { [first]: move.reentered[first] } }),
              422,
              'UNPROCESSABLE',
            );
          }
          const unchanged = await get(move.name);
          assert.equal(unchanged.version, 1);
          assert.deepEqual(unchanged.config, created.config);
          assert.deepEqual(await reveal(move.name), move.secrets);

          const moved = expectOk(await call('PATCH', `${base}/${move.name}`, { config: move.changes[0], secrets: move.reentered }));
          assert.equal(moved.version, 2);
          for (const [key, value] of Object.entries(move.changes[0])) assert.equal(moved.config[key], value);
          assert.deepEqual(await reveal(move.name), move.reentered);
        });
      }

      it('postgres: a location change with the secret set to null is accepted (nothing is kept)', async () => {
        const created = await create({
          name: 'move-null',
          type: 'postgres',
          config: { host: 'db.internal' },
          secrets: { password: 'null-pw' },
        });
        const moved = expectOk(
          await call('PATCH', `${base}/move-null`, { config: { host: 'db2.internal', port: 5433 }, secrets: { password: null } }),
        );
        assert.equal(moved.config.host, 'db2.internal');
        assert.deepEqual(moved.secretFields, []);
        assert.deepEqual(await ownedRows(created.id), []);
        // A change that does not move it keeps the secret without re-entry.
        const again = await create({
          name: 'no-move',
          type: 'postgres',
          config: { host: 'db.internal' },
          secrets: { password: 'stay-pw' },
        });
        expectOk(await call('PATCH', `${base}/no-move`, { config: { username: 'other', sslMode: 'verify-full' } }));
        assert.deepEqual(await reveal('no-move'), { password: 'stay-pw' });
        assert.equal((await get(again.id)).version, 2);
      });

      it('sqlite: a path change needs no re-entry, it has no secrets to keep', async () => {
        await create({ name: 'move-sqlite', type: 'sqlite', config: { path: 'a.db' } });
        const moved = expectOk(await call('PATCH', `${base}/move-sqlite`, { config: { path: 'b/c.db' } }));
        assert.deepEqual(moved.config, { path: 'b/c.db' });
        assert.equal(moved.uri, 'sqlite:///b/c.db');
      });

      it('switches from inline secrets to a shared credential and back', async () => {
        const credential = await createCredential({ name: 'switch-login', type: 'basic', secrets: { password: 'switch-shared' } });
        const created = await create({
          name: 'switcher',
          type: 'mysql',
          config: { host: 'mysql.internal', username: 'u' },
          secrets: { password: 'switch-inline' },
        });
        const [owned] = await ownedRows(created.id);
        assert.ok(owned);
        expectFieldError(await call('PATCH', `${base}/switcher`, { credentialId: credential.id, secrets: { password: 'x' } }), 'secrets');

        const shared = expectOk(await call('PATCH', `${base}/switcher`, { credentialId: credential.id }));
        assert.equal(shared.credentialId, credential.id);
        assert.deepEqual(shared.secretFields, ['password']);
        assert.deepEqual(await reveal('switcher'), { password: 'switch-shared' });
        assert.deepEqual(await ownedRows(created.id), []);
        assert.equal(await credentialRowExists(owned.id), false, 'the replaced inline credential must be deleted');

        // While shared, a later patch keeps it shared, even when it moves.
        const moved = expectOk(await call('PATCH', `${base}/switcher`, { config: { host: 'mysql2.internal' } }));
        assert.equal(moved.credentialId, credential.id);
        // Deleting the shared credential while in use is refused.
        expectProblem(await call('DELETE', `${API}/projects/${P}/credentials/switch-login`), 409, 'CONFLICT');

        const inline = expectOk(await call('PATCH', `${base}/switcher`, { credentialId: null, secrets: { password: 'switch-back' } }));
        assert.equal(inline.credentialId, null);
        assert.deepEqual(inline.secretFields, ['password']);
        assert.deepEqual(await reveal('switcher'), { password: 'switch-back' });
        assert.equal((await ownedRows(created.id)).length, 1);
        // The shared credential is untouched.
        const still = expectOk(await call('GET', `${API}/projects/${P}/credentials/switch-login?reveal=true`));
        assert.deepEqual(still.secrets, { password: 'switch-shared' });
        assert.equal(inline.version, 4);
      });

      it('PUT replaces the whole connection, keeps masked secrets, refuses a type change', async () => {
        const created = await create({
          name: 'put-me',
          type: 'generic',
          config: { host: 'h.internal', port: 1000, username: 'u', extra: { a: '1' } },
          secrets: { password: 'put-pw' },
          description: 'old',
          labels: { a: 'b' },
          enabled: false,
        });
        expectFieldError(await call('PUT', `${base}/put-me`, { name: 'put-me', type: 'postgres', config: { host: 'h.internal' } }), 'type');
        expectFieldError(await call('PUT', `${base}/put-me`, { name: 'put-me', type: 'generic' }), 'config');
        const reply = await call('PUT', `${base}/put-me`, {
          name: 'put-me',
          type: 'generic',
          config: { host: 'h.internal', port: 1000 },
          secrets: { password: MASK },
        });
        const replaced = expectOk(reply);
        assert.equal(reply.headers.get('etag'), '"2"');
        assert.deepEqual(replaced.config, { host: 'h.internal', port: 1000 });
        assert.equal(replaced.description, null);
        assert.deepEqual(replaced.labels, {});
        assert.equal(replaced.enabled, true);
        assert.equal(replaced.version, 2);
        assert.equal(replaced.id, created.id);
        assert.deepEqual(await reveal('put-me'), { password: 'put-pw' });
        // Omitted secrets are kept too; a new value replaces.
        expectOk(
          await call('PUT', `${base}/put-me`, {
            name: 'put-me',
            type: 'generic',
            config: { host: 'h.internal', port: 1000 },
            description: 'd',
          }),
        );
        assert.deepEqual(await reveal('put-me'), { password: 'put-pw' });
        const third = expectOk(
          await call('PUT', `${base}/put-me`, {
            name: 'put-me',
            config: { host: 'h.internal', port: 1000 },
            type: 'generic',
            secrets: { password: 'put-pw-2' },
          }),
        );
        assert.equal(third.version, 4);
        assert.deepEqual(await reveal('put-me'), { password: 'put-pw-2' });
        // PUT by uri works as a replace as well (the type agrees).
        const byUri = expectOk(await call('PUT', `${base}/put-me`, { name: 'put-me', uri: 'tcp://u2:put-pw-3@h.internal:1000?vhost=v' }));
        assert.deepEqual(byUri.config, { host: 'h.internal', port: 1000, username: 'u2', extra: { vhost: 'v' } });
        assert.deepEqual(await reveal('put-me'), { password: 'put-pw-3' });
        expectFieldError(await call('PUT', `${base}/put-me`, { name: 'put-me', uri: 'postgresql://u@h.internal/db' }), 'type');
        // Sending back the uri as it was shown (password masked) keeps the password...
        assert.equal(byUri.uri, `tcp://u2:${MASK}@h.internal:1000?vhost=v`);
        const echoed = expectOk(await call('PUT', `${base}/put-me`, { name: 'put-me', uri: byUri.uri, description: 'echoed' }));
        assert.deepEqual(echoed.config, byUri.config);
        assert.equal(echoed.description, 'echoed');
        assert.deepEqual(await reveal('put-me'), { password: 'put-pw-3' });
        // ...but not when the uri now points elsewhere.
        expectProblem(
          await call('PUT', `${base}/put-me`, { name: 'put-me', uri: `tcp://u2:${MASK}@evil.example.com:1000?vhost=v` }),
          422,
          'UNPROCESSABLE',
        );
        assert.equal((await get('put-me')).config.host, 'h.internal');
        expectProblem(
          await call('PUT', `${base}/nope-nope`, { name: 'nope-nope', type: 'generic', config: { host: 'h', port: 1 } }),
          404,
          'NOT_FOUND',
        );
      });

      it('If-Match: a stale ETag is 412 and changes nothing; the current one applies', async () => {
        const created = await create({ name: 'cas', type: 'generic', config: { host: 'h', port: 1 } });
        const one = expectOk(await call('PATCH', `${base}/cas`, { description: 'v2' }, owner.token, { 'if-match': '"1"' }));
        assert.equal(one.version, 2);
        const stale = await call('PATCH', `${base}/cas`, { description: 'lost' }, owner.token, { 'if-match': '"1"' });
        expectProblem(stale, 412, 'PRECONDITION_FAILED');
        expectProblem(
          await call('PUT', `${base}/cas`, { name: 'cas', type: 'generic', config: { host: 'h', port: 1 } }, owner.token, {
            'if-match': '"1"',
          }),
          412,
          'PRECONDITION_FAILED',
        );
        expectProblem(
          await call('PATCH', `${base}/cas`, { description: 'lost' }, owner.token, { 'if-match': 'garbage' }),
          412,
          'PRECONDITION_FAILED',
        );
        const current = await get(created.id);
        assert.equal(current.description, 'v2');
        assert.equal(current.version, 2);
        // If-Match compares strongly (RFC 9110): a weak tag never matches; a list matches if any tag does.
        expectProblem(
          await call('PATCH', `${base}/cas`, { description: 'weak' }, owner.token, { 'if-match': 'W/"2"' }),
          412,
          'PRECONDITION_FAILED',
        );
        expectOk(await call('PATCH', `${base}/cas`, { description: 'v3' }, owner.token, { 'if-match': '"1", "2"' }));
        const any = await call('PATCH', `${base}/cas`, { labels: { any: 'match' } }, owner.token, { 'if-match': '*' });
        assert.equal(expectOk(any).version, 4);
        assert.equal(any.headers.get('etag'), '"4"');
        expectOk(
          await call('PUT', `${base}/cas`, { name: 'cas', type: 'generic', config: { host: 'h', port: 2 } }, owner.token, {
            'if-match': '"4"',
          }),
        );
        assert.equal((await get('cas')).version, 5);
      });

      it('two concurrent PATCHes with the same If-Match: exactly one 200 and one 412', async () => {
        await create({ name: 'race', type: 'generic', config: { host: 'h', port: 1 }, secrets: { password: 'race-pw' } });
        for (let round = 0; round < 3; round++) {
          const version = (await get('race')).version;
          const replies = await Promise.all(
            ['a', 'b'].map((who) =>
              call('PATCH', `${base}/race`, { description: `${who}-${round}`, labels: { [who]: String(round) } }, owner.token, {
                'if-match': `"${version}"`,
              }),
            ),
          );
          const statuses = replies.map((reply) => reply.status).sort();
          assert.deepEqual(statuses, [200, 412], replies.map((reply) => reply.text).join('\n'));
          const loser = replies.find((reply) => reply.status === 412)!;
          expectProblem(loser, 412, 'PRECONDITION_FAILED');
          const winner = replies.find((reply) => reply.status === 200)!;
          const now = await get('race');
          assert.equal(now.version, version + 1);
          assert.equal(now.description, winner.body.description);
        }
        assert.deepEqual(await reveal('race'), { password: 'race-pw' });
      });

      it('without If-Match, 10 concurrent PATCHes each setting a label all land', async () => {
        await create({
          name: 'crowd',
          type: 'postgres',
          config: { host: 'db.internal' },
          secrets: { password: 'crowd-pw' },
          labels: { base: 'x' },
        });
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) => call('PATCH', `${base}/crowd`, { labels: { [`k${i}`]: `v${i}` } })),
        );
        for (const reply of replies) assert.equal(reply.status, 200, reply.text);
        const final = await get('crowd');
        const expected: Record<string, string> = { base: 'x' };
        for (let i = 0; i < 10; i++) expected[`k${i}`] = `v${i}`;
        assert.deepEqual(final.labels, expected, 'a concurrent update was lost');
        assert.equal(final.version, 11);
        assert.deepEqual(await reveal('crowd'), { password: 'crowd-pw' });
      });
    });

    describe('clone', () => {
      it('copies config under a new name with re-sealed inline secrets, independent of the source', async () => {
        const source = await create({
          name: 'clone-src',
          type: 'postgres',
          config: { host: 'db.internal', database: 'app', username: 'reader' },
          secrets: { password: 'clone-pw' },
          description: 'source',
          labels: { team: 'data' },
        });
        const reply = await call('POST', `${base}/clone-src/clone`, { name: 'Clone-Copy' });
        const copy = expectOk(reply, 201);
        assert.equal(reply.headers.get('location'), `${base}/${copy.id}`);
        assert.equal(reply.headers.get('etag'), '"1"');
        assert.notEqual(copy.id, source.id);
        assert.equal(copy.name, 'clone-copy');
        assert.equal(copy.type, 'postgres');
        assert.deepEqual(copy.config, source.config);
        assert.deepEqual(copy.labels, source.labels);
        assert.equal(copy.description, source.description);
        assert.equal(copy.credentialId, null);
        assert.deepEqual(copy.secretFields, ['password']);
        assert.deepEqual(copy.secrets, { password: MASK });
        assert.equal(copy.version, 1);
        assert.deepEqual(await get('clone-copy'), copy, 'the clone answer is what a read says');
        assert.ok(!reply.text.includes('clone-pw'));
        assert.deepEqual(await reveal('clone-copy'), { password: 'clone-pw' });

        const [sourceRow] = await ownedRows(source.id);
        const [copyRow] = await ownedRows(copy.id);
        assert.ok(sourceRow && copyRow);
        assert.notEqual(copyRow.id, sourceRow.id);
        assert.notEqual(copyRow.secret_envelope, sourceRow.secret_envelope);
        assert.ok(!copyRow.secret_envelope.includes('clone-pw'));

        expectProblem(await call('POST', `${base}/clone-src/clone`, { name: 'clone-copy' }), 409, 'CONFLICT');
        expectProblem(await call('POST', `${base}/clone-src/clone`, { name: 'clone-src' }), 409, 'CONFLICT');
        expectFieldError(await call('POST', `${base}/clone-src/clone`, { name: 'Bad Name' }), 'name');
        expectFieldError(await call('POST', `${base}/clone-src/clone`, {}), 'name');
        expectProblem(await call('POST', `${base}/nope-nope/clone`, { name: 'never' }), 404, 'NOT_FOUND');

        expectOk(await call('PATCH', `${base}/clone-copy`, { secrets: { password: 'clone-pw-changed' } }));
        assert.deepEqual(await reveal('clone-copy'), { password: 'clone-pw-changed' });
        assert.deepEqual(await reveal('clone-src'), { password: 'clone-pw' });
        // Deleting the copy leaves the source's secrets alone.
        assert.equal((await call('DELETE', `${base}/clone-copy`)).status, 204);
        assert.deepEqual(await reveal('clone-src'), { password: 'clone-pw' });
      });

      it('a shared credential stays shared', async () => {
        const credential = await createCredential({ name: 'clone-shared', type: 'basic', secrets: { password: 'clone-shared-pw' } });
        await create({ name: 'clone-shared-src', type: 'postgres', config: { host: 'db.internal' }, credentialId: credential.id });
        const copy = expectOk(await call('POST', `${base}/clone-shared-src/clone`, { name: 'clone-shared-copy' }), 201);
        assert.equal(copy.credentialId, credential.id);
        assert.deepEqual(await ownedRows(copy.id), []);
        assert.deepEqual(await reveal('clone-shared-copy'), { password: 'clone-shared-pw' });
        // A connection without any secrets clones too.
        await create({ name: 'clone-bare', type: 'sqlite', config: { path: 'x.db' } });
        const bare = expectOk(await call('POST', `${base}/clone-bare/clone`, { name: 'clone-bare-copy' }), 201);
        assert.deepEqual(bare.secretFields, []);
        assert.deepEqual(await ownedRows(bare.id), []);
      });
    });

    describe('usages and delete', () => {
      it('registers (idempotent), lists and unregisters consumers', async () => {
        await create({ name: 'used', type: 'generic', config: { host: 'h', port: 1 } });
        const usages = `${base}/used/usages`;
        const first = expectOk(await call('PUT', `${usages}/airflow:nightly_load`, { description: 'Nightly load' }, viewer.token));
        assert.equal(first.consumer, 'airflow:nightly_load');
        assert.equal(first.description, 'Nightly load');
        const again = expectOk(await call('PUT', `${usages}/airflow:nightly_load`, { description: 'Nightly load v2' }, viewer.token));
        assert.equal(again.description, 'Nightly load v2');
        assert.equal(again.createdAt, first.createdAt);
        expectOk(await call('PUT', `${usages}/dbt.job-7`, {}));
        const list = expectOk(await call('GET', usages, undefined, viewer.token));
        assert.deepEqual(
          list.data.map((usage: Json) => [usage.consumer, usage.description]),
          [
            ['airflow:nightly_load', 'Nightly load v2'],
            ['dbt.job-7', null],
          ],
        );
        assert.equal((await call('DELETE', `${usages}/dbt.job-7`)).status, 204);
        expectProblem(await call('DELETE', `${usages}/dbt.job-7`), 404, 'NOT_FOUND');
        expectProblem(await call('DELETE', `${usages}/never-registered`), 404, 'NOT_FOUND');
        assert.deepEqual(
          expectOk(await call('GET', usages)).data.map((usage: Json) => usage.consumer),
          ['airflow:nightly_load'],
        );
        for (const consumer of ['-leading-hyphen', 'has%20space', 'semi;colon', 'a%2Fb', '%C3%A9t%C3%A9']) {
          expectFieldError(await call('PUT', `${usages}/${consumer}`, {}), 'consumer');
        }
        // The longest consumer name is the longest path segment the server routes (100 characters).
        const longest = 'c'.repeat(100);
        assert.equal(expectOk(await call('PUT', `${usages}/${longest}`, {})).consumer, longest);
        assert.equal((await call('DELETE', `${usages}/${longest}`)).status, 204);
        expectProblem(await call('PUT', `${usages}/${longest}x`, {}), 414, 'URI_TOO_LONG');
        expectFieldError(await call('PUT', `${usages}/ok`, { description: 5 }), 'description');
        expectProblem(await call('GET', `${base}/nope-nope/usages`), 404, 'NOT_FOUND');
        expectProblem(await call('PUT', `${base}/nope-nope/usages/x`, {}), 404, 'NOT_FOUND');
      });

      it('delete with If-Match: a stale ETag is 412 and deletes nothing (before the 409 of consumers); racing a PATCH, one wins', async () => {
        const created = await create({ name: 'cas-del', type: 'generic', config: { host: 'h', port: 1 }, secrets: { password: 'p' } });
        expectOk(await call('PATCH', `${base}/cas-del`, { description: 'v2' }));
        expectOk(await call('PUT', `${base}/cas-del/usages/job-x`, {}));
        const del = (query: string, ifMatch: string) =>
          call('DELETE', `${base}/cas-del${query}`, undefined, owner.token, { 'if-match': ifMatch });
        expectProblem(await del('', '"1"'), 412, 'PRECONDITION_FAILED');
        expectProblem(await del('?force=true', '"1"'), 412, 'PRECONDITION_FAILED');
        expectProblem(await del('?force=true', 'garbage'), 412, 'PRECONDITION_FAILED');
        expectProblem(await del('', '"2"'), 409, 'CONFLICT');
        const [owned] = await ownedRows(created.id);
        assert.equal((await get('cas-del')).version, 2);
        assert.equal((await del('?force=true', '"2"')).status, 204);
        expectProblem(await call('GET', `${base}/cas-del`), 404, 'NOT_FOUND');
        assert.equal(await credentialRowExists(owned.id), false);

        for (let round = 0; round < 3; round++) {
          const name = `cas-race-${round}`;
          await create({ name, type: 'generic', config: { host: 'h', port: 1 }, secrets: { password: 'p' } });
          const headers = { 'if-match': '"1"' };
          const replies = await Promise.all([
            call('PATCH', `${base}/${name}`, { description: 'patched' }, owner.token, headers),
            call('DELETE', `${base}/${name}`, undefined, owner.token, headers),
          ]);
          const statuses = replies.map((reply) => reply.status);
          // Never both: the PATCH wins (the DELETE is 412) or the DELETE does (the PATCH is 412, or 404 once it is gone).
          const [patched, deleted] = statuses;
          assert.ok(
            (patched === 200 && deleted === 412) || ([412, 404].includes(patched) && deleted === 204),
            replies.map((reply) => `${reply.status} ${reply.text}`).join('\n'),
          );
          assert.equal((await call('GET', `${base}/${name}`)).status, statuses[0] === 200 ? 200 : 404);
        }
      });

      it('delete: 409 naming the consumers while in use, ?force=true deletes it with its inline credential', async () => {
        const created = await create({
          name: 'doomed',
          type: 'postgres',
          config: { host: 'db.internal' },
          secrets: { password: 'doomed-pw' },
        });
        const [owned] = await ownedRows(created.id);
        assert.ok(owned);
        expectOk(await call('PUT', `${base}/doomed/usages/pipeline-a`, { description: 'Nightly load' }));
        expectOk(await call('PUT', `${base}/doomed/usages/job:b`, {}));
        const refused = await call('DELETE', `${base}/doomed`);
        expectProblem(refused, 409, 'CONFLICT');
        assert.match(refused.body.detail, /pipeline-a/);
        assert.match(refused.body.detail, /job:b/);
        // The consumers as data too, for a console to list (ordered by name).
        assert.deepEqual(refused.body.consumers, [
          { consumer: 'job:b', description: null },
          { consumer: 'pipeline-a', description: 'Nightly load' },
        ]);
        expectProblem(await call('DELETE', `${base}/doomed?force=false`), 409, 'CONFLICT');
        expectFieldError(await call('DELETE', `${base}/doomed?force=yes`), 'force');
        expectProblem(await call('DELETE', `${base}/doomed`, undefined, viewer.token), 403, 'FORBIDDEN');
        assert.equal((await get('doomed')).version, 1);

        assert.equal((await call('DELETE', `${base}/doomed?force=true`)).status, 204);
        expectProblem(await call('GET', `${base}/doomed`), 404, 'NOT_FOUND');
        expectProblem(await call('GET', `${base}/${created.id}`), 404, 'NOT_FOUND');
        expectProblem(await call('DELETE', `${base}/doomed?force=true`), 404, 'NOT_FOUND');
        assert.equal(await credentialRowExists(owned.id), false, 'the inline credential row must go with the connection');
        const usageRows = await dataSource()
          .createQueryBuilder()
          .select('u.consumer', 'consumer')
          .from('connection_usages', 'u')
          .where('u.connection_id = :id', { id: created.id })
          .getRawMany();
        assert.deepEqual(usageRows, []);

        // Without consumers it simply deletes; the name is free again.
        const plain = await create({ name: 'doomed', type: 'generic', config: { host: 'h', port: 1 }, secrets: { password: 'p' } });
        const [plainOwned] = await ownedRows(plain.id);
        assert.equal((await call('DELETE', `${base}/${plain.id}`)).status, 204);
        assert.equal(await credentialRowExists(plainOwned.id), false);
        // A shared credential survives the deletion of a connection using it.
        const credential = await createCredential({ name: 'survivor', type: 'basic', secrets: { password: 'survive' } });
        await create({ name: 'uses-survivor', type: 'postgres', config: { host: 'db.internal' }, credentialId: credential.id });
        assert.equal((await call('DELETE', `${base}/uses-survivor`)).status, 204);
        assert.equal(await credentialRowExists(credential.id), true);
        assert.equal((await call('DELETE', `${API}/projects/${P}/credentials/survivor`)).status, 204);
      });
    });

    describe('list', () => {
      const L = 'conn-list';
      const listBase = `${API}/projects/${L}/connections`;
      const list = async (query: string): Promise<Json> => {
        const reply = await call('GET', `${listBase}${query}`);
        const body = expectOk(reply);
        for (const item of body.data) assert.ok(!('secrets' in item), `a list item carries secrets: ${JSON.stringify(item)}`);
        for (const secret of ['list-secret-1', 'list-secret-2', 'list-secret-3'])
          assert.ok(!reply.text.includes(secret), 'a secret leaked into a list');
        return body;
      };
      const names = (body: Json): string[] => body.data.map((item: Json) => item.name);

      before(async () => {
        await createProject(t, owner.token, L);
        const rows: Json[] = [
          {
            name: 'delta',
            type: 'postgres',
            config: { host: 'db.internal' },
            secrets: { password: 'list-secret-1' },
            description: 'The Warehouse',
          },
          {
            name: 'alpha',
            type: 'mysql',
            config: { host: 'mysql.internal' },
            secrets: { password: 'list-secret-2' },
            description: '100% uptime',
          },
          { name: 'charlie', type: 'postgres', config: { host: 'db2.internal' }, enabled: false, description: 'snake_case tables' },
          { name: 'warehouse-eu', type: 'generic', config: { host: 'h', port: 1 }, secrets: { password: 'list-secret-3' } },
          { name: 'bravo', type: 'sqlite', config: { path: 'b.db' }, enabled: false, description: 'abc plain' },
        ];
        for (const row of rows) {
          await create(row, L);
          await sleep(5); // distinct createdAt, so the createdAt order is the creation order
        }
      });

      it('sorts by name (default), -name, createdAt, -updatedAt', async () => {
        assert.deepEqual(names(await list('')), ['alpha', 'bravo', 'charlie', 'delta', 'warehouse-eu']);
        assert.deepEqual(names(await list('?sort=name')), ['alpha', 'bravo', 'charlie', 'delta', 'warehouse-eu']);
        assert.deepEqual(names(await list('?sort=-name')), ['warehouse-eu', 'delta', 'charlie', 'bravo', 'alpha']);
        assert.deepEqual(names(await list('?sort=createdAt')), ['delta', 'alpha', 'charlie', 'warehouse-eu', 'bravo']);
        assert.deepEqual(names(await list('?sort=-createdAt')), ['bravo', 'warehouse-eu', 'charlie', 'alpha', 'delta']);
        expectOk(await call('PATCH', `${listBase}/charlie`, { labels: { touched: 'yes' } }));
        assert.deepEqual(names(await list('?sort=-updatedAt')).slice(0, 2), ['charlie', 'bravo']);
        expectFieldError(await call('GET', `${listBase}?sort=secret`), 'sort');
      });

      it('filters by type and enabled, searches name and description case-insensitively and literally', async () => {
        const postgres = await list('?type=postgres');
        assert.deepEqual(names(postgres), ['charlie', 'delta']);
        assert.equal(postgres.meta.total, 2);
        assert.deepEqual(names(await list('?enabled=false')), ['bravo', 'charlie']);
        assert.deepEqual(names(await list('?enabled=true')), ['alpha', 'delta', 'warehouse-eu']);
        assert.deepEqual(names(await list('?type=postgres&enabled=true')), ['delta']);
        assert.deepEqual(names(await list('?type=smtp')), []);
        // In the description of one and the name of another, whatever the case.
        assert.deepEqual(names(await list('?search=WAREHOUSE')), ['delta', 'warehouse-eu']);
        assert.deepEqual(names(await list('?search=warehouse-E')), ['warehouse-eu']);
        assert.deepEqual(names(await list('?search=%25')), ['alpha']);
        assert.deepEqual(names(await list('?search=_')), ['charlie']);
        assert.deepEqual(names(await list('?search=e_c')), ['charlie']);
        assert.deepEqual(names(await list('?search=a%25c')), []);
        assert.deepEqual(names(await list('?search=%5C')), []);
        assert.deepEqual(names(await list('?search=nothing-like-this')), []);
        expectFieldError(await call('GET', `${listBase}?type=oracle`), 'type');
        expectFieldError(await call('GET', `${listBase}?enabled=maybe`), 'enabled');
        expectFieldError(await call('GET', `${listBase}?bogus=1`), 'bogus');
      });

      it('pages with meta {total, page, perPage}', async () => {
        const all = names(await list('?perPage=100'));
        const seen: string[] = [];
        for (let page = 1; page <= 3; page++) {
          const body = await list(`?page=${page}&perPage=2`);
          assert.deepEqual(body.meta, { total: 5, page, perPage: 2 });
          seen.push(...names(body));
        }
        assert.deepEqual(seen, all);
        const beyond = await list('?page=4&perPage=2');
        assert.deepEqual(beyond.data, []);
        assert.deepEqual(beyond.meta, { total: 5, page: 4, perPage: 2 });
        assert.deepEqual((await list('')).meta, { total: 5, page: 1, perPage: 20 });
        expectFieldError(await call('GET', `${listBase}?perPage=101`), 'perPage');
        expectFieldError(await call('GET', `${listBase}?page=0`), 'page');
        // Items carry the same fields as a single read, minus secrets.
        const item = (await list('?search=delta')).data[0];
        const single = await get('delta', L);
        const { secrets: _secrets, ...rest } = single;
        assert.deepEqual(item, rest);
      });
    });

    describe('scale', () => {
      it('lists, pages and searches 10,000 connections in one project', async () => {
        const project = await createProject(t, owner.token, 'conn-bulk');
        const total = 10_000;
        const now = new Date();
        const inserted = Date.now();
        await dataSource().transaction(async (manager) => {
          for (let start = 0; start < total; start += 500) {
            const rows = [];
            for (let i = start; i < start + 500; i++) {
              rows.push({
                id: uuidv7(),
                projectId: project.id,
                name: `bulk-${String(i).padStart(5, '0')}`,
                type: 'generic' as const,
                description: i % 1000 === 0 ? `Thousand ${i}` : null,
                config: { host: 'h', port: 1 },
                credentialId: null,
                ownsCredential: false,
                enabled: true,
                labels: {},
                version: 1,
                createdAt: now,
                updatedAt: now,
                createdBy: owner.id,
              });
            }
            await manager.insert(ConnectionEntity, rows as any);
          }
        });
        console.log(`[${driver}] inserted ${total} connections in ${Date.now() - inserted} ms`);
        const bulk = `${API}/projects/conn-bulk/connections`;
        const timed = async (label: string, path: string): Promise<Json> => {
          const started = Date.now();
          const reply = await call('GET', `${bulk}${path}`);
          console.log(`[${driver}] GET ${label}: ${Date.now() - started} ms`);
          return expectOk(reply);
        };
        const names = (body: Json): string[] => body.data.map((item: Json) => item.name);
        const expectNames = (body: Json, from: number, count: number) =>
          assert.deepEqual(
            names(body),
            Array.from({ length: count }, (_, i) => `bulk-${String(from + i).padStart(5, '0')}`),
          );

        const first = await timed('page 1', '?page=1&perPage=100');
        assert.deepEqual(first.meta, { total, page: 1, perPage: 100 });
        expectNames(first, 0, 100);
        assert.deepEqual(first.data[0].config, { host: 'h', port: 1 });
        assert.equal(first.data[0].uri, 'tcp://h:1');
        const middle = await timed('page 50', '?page=50&perPage=100');
        assert.deepEqual(middle.meta, { total, page: 50, perPage: 100 });
        expectNames(middle, 4900, 100);
        const last = await timed('page 100', '?page=100&perPage=100');
        assert.deepEqual(last.meta, { total, page: 100, perPage: 100 });
        expectNames(last, 9900, 100);
        const reversed = await timed('page 100 of -name', '?page=100&perPage=100&sort=-name');
        expectNames({ data: [...reversed.data].reverse() }, 0, 100);
        const beyond = await timed('page 101', '?page=101&perPage=100');
        assert.deepEqual(beyond.data, []);
        assert.equal(beyond.meta.total, total);
        const search = await timed('search bulk-04242', '?search=bulk-04242');
        assert.deepEqual(names(search), ['bulk-04242']);
        assert.equal(search.meta.total, 1);
        const described = await timed('search thousand', '?search=THOUSAND&perPage=100');
        assert.equal(described.meta.total, 10);
        const generic = await timed('type=generic', '?type=generic&perPage=1');
        assert.equal(generic.meta.total, total);
        const none = await timed('type=postgres', '?type=postgres');
        assert.equal(none.meta.total, 0);
        const one = await call('GET', `${bulk}/bulk-07777`);
        assert.equal(expectOk(one).name, 'bulk-07777');
        // Other projects' lists are unaffected.
        assert.ok((await call('GET', `${API}/projects/${P}/connections?perPage=100`)).body.meta.total < 1000);
      });
    });

    describe('tenancy', () => {
      it("a member of project A gets 404 for B's connections, usages, clone and delete; A's list never shows them", async () => {
        const alice = await createUser(t, admin, 'tenant-alice');
        const bob = await createUser(t, admin, 'tenant-bob');
        await createProject(t, alice.token, 'tenant-a');
        await createProject(t, bob.token, 'tenant-b');
        const theirs = await create(
          { name: 'b-secret-db', type: 'postgres', config: { host: 'b.internal' }, secrets: { password: 'b-pw' } },
          'tenant-b',
          bob.token,
        );
        // The same name may exist in both projects.
        const mine = await create({ name: 'shared-name', type: 'generic', config: { host: 'a', port: 1 } }, 'tenant-a', alice.token);
        await create({ name: 'shared-name', type: 'generic', config: { host: 'b', port: 2 } }, 'tenant-b', bob.token);
        expectOk(await t.call('PUT', `${API}/projects/tenant-b/connections/b-secret-db/usages/b-job`, { token: bob.token, body: {} }));

        const a = `${API}/projects/tenant-a/connections`;
        const b = `${API}/projects/tenant-b/connections`;
        const attempts: [string, string, unknown?][] = [];
        for (const ref of ['b-secret-db', theirs.id, theirs.id.toUpperCase()]) {
          for (const prefix of [a, b]) {
            attempts.push(
              ['GET', `${prefix}/${ref}`],
              ['GET', `${prefix}/${ref}?reveal=true`],
              ['PATCH', `${prefix}/${ref}`, { description: 'pwned' }],
              ['PUT', `${prefix}/${ref}`, { name: 'b-secret-db', type: 'postgres', config: { host: 'evil.example.com' } }],
              ['DELETE', `${prefix}/${ref}?force=true`],
              ['POST', `${prefix}/${ref}/clone`, { name: 'stolen' }],
              ['GET', `${prefix}/${ref}/usages`],
              ['PUT', `${prefix}/${ref}/usages/a-job`, {}],
              ['DELETE', `${prefix}/${ref}/usages/b-job`],
            );
          }
        }
        attempts.push(['GET', b], ['POST', b, { name: 'planted', type: 'generic', config: { host: 'h', port: 1 } }]);
        for (const [method, path, body] of attempts) {
          const reply = await t.call(method, path, { token: alice.token, body });
          expectProblem(reply, 404, 'NOT_FOUND');
          assert.ok(!reply.text.includes('b.internal') && !reply.text.includes('b-pw'), `${method} ${path} leaked: ${reply.text}`);
        }
        const listA = expectOk(await t.call('GET', `${a}?perPage=100`, { token: alice.token }));
        assert.deepEqual(
          listA.data.map((item: Json) => item.id),
          [mine.id],
        );
        assert.equal(listA.meta.total, 1);
        assert.equal(expectOk(await t.call('GET', `${a}?search=secret`, { token: alice.token })).meta.total, 0);

        // B's connection is intact.
        const intact = expectOk(await t.call('GET', `${b}/b-secret-db?reveal=true`, { token: bob.token }));
        assert.equal(intact.version, 1);
        assert.deepEqual(intact.config, theirs.config);
        assert.deepEqual(intact.secrets, { password: 'b-pw' });
        assert.deepEqual(
          expectOk(await t.call('GET', `${b}/b-secret-db/usages`, { token: bob.token })).data.map((usage: Json) => usage.consumer),
          ['b-job'],
        );
        assert.deepEqual(
          expectOk(await t.call('GET', `${b}?perPage=100`, { token: bob.token }))
            .data.map((item: Json) => item.name)
            .sort(),
          ['b-secret-db', 'shared-name'],
        );
      });
    });

    describe('canary', () => {
      it('a canary secret never reaches a log line, a list or an error response', async () => {
        const exposed: Reply[] = [];
        const track = async (reply: Promise<Reply>) => {
          const result = await reply;
          exposed.push(result);
          return result;
        };
        const created = await track(
          call('POST', base, {
            name: 'canary',
            type: 'postgres',
            config: { host: 'canary.internal', username: 'c' },
            secrets: { password: CANARY },
          }),
        );
        assert.equal(created.status, 201, created.text);
        assert.equal((await track(call('GET', `${base}/canary`))).status, 200);
        assert.equal((await track(call('PATCH', `${base}/canary`, { description: 'still here' }))).status, 200);
        await track(call('PATCH', `${base}/canary`, { config: { host: 'elsewhere.internal' } })); // 422
        await track(call('PATCH', `${base}/canary`, { config: { port: 'x' }, secrets: { password: CANARY } })); // 400
        await track(call('PATCH', `${base}/canary`, { secrets: { apiKey: CANARY } })); // 400: unknown secret
        await track(call('POST', base, { name: 'canary', type: 'postgres', config: { host: 'h' }, secrets: { password: CANARY } })); // 409
        await track(
          call('POST', base, { name: 'canary-bad', type: 'postgres', config: { host: 'h', bogus: CANARY }, secrets: { password: CANARY } }),
        );
        await track(call('POST', base, { name: 'canary-uri', uri: `postgresql://u:${CANARY}@host:99999/db` }));
        await track(call('POST', base, { name: 'canary-uri', uri: `postgresql://u:${CANARY}@host/db?nope=1` }));
        await track(call('POST', base, { name: 'canary-uri', type: 'mysql', uri: `postgresql://u:${CANARY}@host/db` }));
        await track(call('PATCH', `${base}/canary`, { secrets: { password: CANARY } }, owner.token, { 'if-match': '"99"' })); // 412
        assert.equal(
          (await track(call('PATCH', `${base}/canary`, { config: { host: 'moved.internal' }, secrets: { password: CANARY } }))).status,
          200,
        );
        assert.equal((await track(call('POST', `${base}/canary/clone`, { name: 'canary-clone' }))).status, 201);
        await track(call('POST', `${base}/canary/clone`, { name: 'canary-clone' })); // 409
        assert.equal((await track(call('GET', `${base}?perPage=100`))).status, 200);
        assert.equal((await track(call('GET', `${base}?search=canary`))).status, 200);
        await track(call('GET', `${base}/canary?reveal=true`, undefined, editor.token)); // 403
        expectOk(await track(call('PUT', `${base}/canary/usages/canary-job`, {})));
        await track(call('DELETE', `${base}/canary`)); // 409
        // The secret is really stored (so the checks below are meaningful).
        assert.deepEqual(await reveal('canary'), { password: CANARY });
        assert.deepEqual(await reveal('canary-clone'), { password: CANARY });
        assert.equal((await track(call('DELETE', `${base}/canary?force=true`))).status, 204);

        assert.ok(exposed.some((reply) => reply.status >= 400));
        for (const reply of exposed) assert.ok(!reply.text.includes(CANARY), `the canary leaked (${reply.status}): ${reply.text}`);
        const leaked = t.logs.filter((line) => line.includes(CANARY) || line.includes('CANARY-conn'));
        assert.deepEqual(leaked, [], 'the canary reached the logs');
        // Nor is it stored in plain text anywhere a connection or credential row can be read.
        const rows = await dataSource().createQueryBuilder().select('*').from('connections', 'n').getRawMany();
        assert.ok(!JSON.stringify(rows).includes(CANARY));
        const credentialRows = await dataSource().createQueryBuilder().select('*').from('credentials', 'c').getRawMany();
        assert.ok(!JSON.stringify(credentialRows).includes(CANARY));
      });

      it('no secret used in this suite reached the logs', () => {
        const secrets = [
          ...TYPE_CASES.flatMap((c) => Object.values(c.secrets)),
          'p@ss',
          'shared-pw',
          'reveal-pw',
          'patch-pw',
          'clone-pw',
          'move-pg-pw',
          'move-s3-secret',
          'move-http-token',
          'switch-inline',
          'switch-shared',
          'put-pw',
          'doomed-pw',
          'b-pw',
          'wide-pw',
        ];
        const leaked = t.logs.filter((line) => secrets.some((secret) => line.includes(secret)));
        assert.deepEqual(leaked, []);
      });
    });
  });
}
