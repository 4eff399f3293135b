import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError } from './config/environment';
import { loadConfig } from './config/load-config';

async function main(): Promise<void> {
  let resolved;
  try {
    resolved = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`switchboard: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
  const { config, warnings } = resolved;
  const app = await createApp(config);
  const logger = new Logger('Bootstrap');
  for (const warning of warnings) logger.warn(warning);
  await app.listen({ port: config.port, host: config.host });
  logger.log({ port: config.port, host: config.host, database: config.database.driver }, `Switchboard listening; API docs at /docs`);
}

main().catch((error: unknown) => {
  // Already logged by the framework where it has more context; leave one plain line and a failing exit code.
  process.stderr.write(`switchboard: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
