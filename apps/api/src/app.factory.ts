import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  AppConfig,
  AppError,
  ErrorCode,
  createLogger,
  createValidationPipe,
  generateRequestId,
  PinoLoggerService,
  ProblemFilter,
  REQUEST_ID_HEADER,
} from '@switchboard/common';
import { LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { setupSwagger } from './swagger';

export const API_PREFIX = 'api/v1';
export const BODY_LIMIT_BYTES = 1024 * 1024;
const JSON_CONTENT_TYPE = /^application\/([a-z.+-]+\+)?json\s*(;|$)/i;

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
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoLoggerService(logger),
  });
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  // JSON in, JSON out: a body in any other format is refused rather than half-understood.
  fastify.addHook('preValidation', async (request) => {
    if (request.body !== undefined && !JSON_CONTENT_TYPE.test(request.headers['content-type'] ?? '')) {
      throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Send the body as application/json.');
    }
  });
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
  });

  setupSwagger(app);
  await app.init();
  return app;
}
