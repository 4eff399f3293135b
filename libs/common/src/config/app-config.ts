import { Inject } from '@nestjs/common';

export type DatabaseConfig = { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated environment. Built once at boot by apps/api; nothing else reads process.env. */
export interface AppConfig {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** `id:base64` pairs; the first one encrypts. */
  encryptionKeys: string;
  jwtSecret: string;
  admin: { email: string; password?: string };
  /** SQLite connections may only open files under this directory (after realpath). */
  sqliteRoot: string;
  /** On first start, a sample SQLite database under sqliteRoot and a `sample` connection to it. */
  sample: boolean;
  /** Outbound policy: comma lists of CIDRs or the words `private` / `loopback`. */
  egress: { deny?: string; allow?: string };
  /** Browser origins (`scheme://host[:port]`) allowed to call the API; none or unset = no CORS. */
  corsOrigins?: readonly string[];
  logLevel: LogLevel;
  /** The built web console (index.html and assets/), served at /console/ when it holds a build; unset = no console. */
  consoleDir?: string;
  /** A bearer token that may read GET /metrics (besides an instance admin); unset = admins only. */
  metricsToken?: string;
  /** What POST …/discover lists at most (1,000 catalogs, 10,000 schemas in all when unset); not read from the environment. */
  discoverLimits?: { catalogs: number; schemas: number };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export const InjectConfig = (): ParameterDecorator => Inject(APP_CONFIG);
