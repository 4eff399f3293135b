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

void main();
