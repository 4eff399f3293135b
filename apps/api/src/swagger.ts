import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { documentServiceUnavailable, ProblemDto } from '@switchboard/common';
import { CONNECTION_TYPE_DEFINITIONS, configSchemaName } from '@switchboard/connectors';

export const DOCS_PATH = 'docs';

export function setupSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Switchboard API')
    .setDescription(
      'Keeps data connections and their secrets per project, tests them and looks inside them.\n\n' +
        'Authenticate with `Authorization: Bearer <token>`: an access token from `POST /api/v1/auth/login`, or an API key (`sbk_…`). ' +
        'API keys may also be sent as `X-API-Key`. Errors are RFC 9457 `application/problem+json` with a stable `code`.',
    )
    .setVersion('1')
    .setOpenAPIVersion('3.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Access token (JWT) or API key (sbk_…)' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key (sbk_…)' }, 'apiKey')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
  documentServiceUnavailable(document);
  // The connection types' own JSON Schemas document `config`, so the docs never drift from validation.
  document.components ??= {};
  document.components.schemas ??= {};
  for (const definition of CONNECTION_TYPE_DEFINITIONS) {
    document.components.schemas[configSchemaName(definition.type)] = { ...definition.configSchema, title: `${definition.label} config` };
  }
  // Swagger UI's assets are relative to /docs: from /docs/ they would 404 and show a blank page.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      if (request.url === `/${DOCS_PATH}/`) await reply.redirect(`/${DOCS_PATH}`, 301);
    });
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: `${DOCS_PATH}/openapi.json`,
    yamlDocumentUrl: `${DOCS_PATH}/openapi.yaml`,
    customSiteTitle: 'Switchboard API',
    swaggerOptions: { persistAuthorization: true },
  });
}
