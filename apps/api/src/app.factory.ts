import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AppConfig,
  createLogger,
  generateRequestId,
  HttpMetrics,
  PinoLoggerService,
  ProblemFilter,
  registerRequestHooks,
  registerResourceHeaders,
  sendClientError,
  sendFrameworkError,
} from '@switchboard/common';
import { storeUnavailableProblem } from '@switchboard/database';
import { LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { registerConsole } from './console/console-static';
import { corsOptions } from './cors';
import { setupSwagger } from './swagger';

export const API_PREFIX = 'api/v1';
export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  /** Where JSON log lines go (stdout by default); tests capture them. */
  logDestination?: DestinationStream;
}

/** Builds the whole service, initialized but not listening. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    genReqId: generateRequestId,
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: BODY_LIMIT_BYTES,
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: sendClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoLoggerService(logger),
    // Let the caller decide: main prints one line and exits, tests see the error.
    abortOnError: false,
  });
  // Scrapers look for /metrics at the root.
  app.setGlobalPrefix(API_PREFIX, { exclude: ['metrics'] });
  // A request the metadata database could not serve answers 503 with Retry-After, whatever route it took.
  app.useGlobalFilters(new ProblemFilter(storeUnavailableProblem));
  app.enableShutdownHooks();
  // Nest runs @fastify/cors first on every request: preflights are answered before authentication
  // and rate limits, and error replies carry the grant too, so a console can read them.
  if (config.corsOrigins?.length) app.enableCors(corsOptions(config.corsOrigins));
  registerRequestHooks(app.getHttpAdapter().getInstance(), app.get(HttpMetrics));
  registerResourceHeaders(app.getHttpAdapter().getInstance());
  setupSwagger(app);
  if (config.consoleDir) await registerConsole(app.getHttpAdapter().getInstance(), config.consoleDir);
  try {
    await app.init();
  } catch (error) {
    // Release what did start (e.g. the database pool) before reporting why the rest did not.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
