import { ConnectionTypeDefinition, SECRET_MASK } from '../connection-type';
import { authorityOf, buildUri, compact, parseBoolean, pathOf, queryOf, stringOf } from '../uri';

const DEFAULT_REGION = 'us-east-1';

export const s3Definition: ConnectionTypeDefinition<'s3'> = {
  type: 's3',
  label: 'Amazon S3 / S3-compatible',
  description:
    'An S3 bucket on AWS or an S3-compatible server (MinIO, Ceph, R2...): objects under prefix and the schema of CSV/JSON files.',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['bucket'],
    properties: {
      bucket: { type: 'string', title: 'Bucket', description: 'Bucket name.', format: 's3-bucket', examples: ['acme-exports'] },
      region: { type: 'string', title: 'Region', description: 'Region of the bucket.', format: 'aws-region', default: DEFAULT_REGION },
      endpoint: {
        type: 'string',
        title: 'Endpoint',
        description: "http(s) URL of an S3-compatible server; AWS's own endpoint for the region when absent.",
        maxLength: 2048,
        format: 'http-url',
        examples: ['https://minio.internal.example.com:9000'],
      },
      forcePathStyle: {
        type: 'boolean',
        title: 'Path-style addressing',
        description: 'Address the bucket as <endpoint>/<bucket> instead of <bucket>.<endpoint>; most S3-compatible servers need it.',
        default: false,
      },
      prefix: {
        type: 'string',
        title: 'Prefix',
        description: 'Key prefix the connection is limited to; the whole bucket when empty.',
        maxLength: 1024,
        format: 'single-line',
        default: '',
        examples: ['exports/daily/'],
      },
    },
    examples: [{ bucket: 'acme-exports', region: 'eu-central-1', prefix: 'exports/daily/' }],
  },
  secretFields: [
    { name: 'accessKeyId', label: 'Access key ID', description: 'Access key ID.' },
    { name: 'secretAccessKey', label: 'Secret access key', description: 'Secret access key.' },
    { name: 'sessionToken', label: 'Session token', description: 'Session token of temporary (STS) credentials.' },
  ],
  credentialTypes: ['aws', 'generic'],
  locationFields: ['bucket', 'endpoint', 'region', 'prefix'],
  // http:// versus https:// is part of the endpoint, the location; AWS's own endpoints are https.
  transportSecurity: [],
  capabilities: ['test', 'files', 'fileSchema'],
  // Always explicit keys: the service's own cloud identity (environment, instance role) is never used.
  requiredSecrets: () => ['accessKeyId', 'secretAccessKey'],
  credentialFields: [],
  uri: {
    schemes: ['s3'],
    /** `s3://accessKeyId:secretAccessKey@bucket/prefix?region=&endpoint=&forcePathStyle=true`. */
    parse(url) {
      const { username: accessKeyId, password: secretAccessKey, host: bucket } = authorityOf(url);
      const query = queryOf(url, ['region', 'endpoint', 'forcePathStyle']);
      const forcePathStyle = query.forcePathStyle === undefined ? undefined : parseBoolean('forcePathStyle', query.forcePathStyle);
      const prefix = pathOf(url) || undefined;
      return {
        config: compact({ bucket, prefix, region: query.region, endpoint: query.endpoint, forcePathStyle }),
        secrets: compact({ accessKeyId, secretAccessKey }),
      };
    },
    /** The access key ID is a secret too, so both halves of the user info are masked. */
    passwordSecret: 'secretAccessKey',
    format(config, hasPassword) {
      const prefix = stringOf(config, 'prefix');
      return buildUri({
        scheme: 's3',
        username: hasPassword ? SECRET_MASK : undefined,
        hasPassword,
        host: stringOf(config, 'bucket'),
        path: prefix ? prefix.split('/') : undefined,
        query: {
          region: config.region === DEFAULT_REGION ? undefined : stringOf(config, 'region'),
          endpoint: stringOf(config, 'endpoint'),
          forcePathStyle: config.forcePathStyle === true ? true : undefined,
        },
      });
    },
  },
};
