import { ConnectionTypeDefinition, UriError } from '../connection-type';
import { decode, queryOf, stringOf } from '../uri';

export const sqliteDefinition: ConnectionTypeDefinition<'sqlite'> = {
  type: 'sqlite',
  label: 'SQLite',
  description: "A SQLite database file under the server's SQLite root (SWITCHBOARD_SQLITE_ROOT), opened read-only.",
  configSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['path'],
    properties: {
      path: {
        type: 'string',
        title: 'Path',
        description:
          "Database file, relative to the server's SQLite root; an absolute path must lie under that root. " +
          'Paths leading outside it (through .. or symbolic links) are refused when the file is opened.',
        minLength: 1,
        maxLength: 1024,
        format: 'single-line',
        examples: ['reports/sales.db'],
      },
    },
    examples: [{ path: 'reports/sales.db' }],
  },
  secretFields: [],
  credentialTypes: [],
  locationFields: ['path'],
  // A local file: no traffic to protect.
  transportSecurity: [],
  capabilities: ['test', 'tables', 'columns', 'preview', 'query'],
  requiredSecrets: () => [],
  credentialFields: [],
  uri: {
    schemes: ['sqlite'],
    /**
     * `sqlite:reports/sales.db` takes the path as written; `sqlite:///reports/sales.db` (empty
     * host, as in SQLAlchemy) takes what follows the third slash, so `sqlite:////srv/a.db` is absolute.
     */
    parse(url) {
      if (url.username || url.password || url.host) {
        throw new UriError('a sqlite URI has no user or host; write sqlite:relative/path.db or sqlite:///relative/path.db');
      }
      queryOf(url, []);
      const hasAuthority = url.href.startsWith('sqlite://');
      const path = decode(hasAuthority ? url.pathname.slice(1) : url.pathname, 'the path');
      return { config: path ? { path } : {}, secrets: {} };
    },
    format(config) {
      // Segments are encoded one by one so '/' stays a separator and '?', '#' or '%' in a file name survive.
      const path = (stringOf(config, 'path') ?? '').split('/').map(encodeURIComponent).join('/');
      return `sqlite:///${path}`;
    },
  },
};
