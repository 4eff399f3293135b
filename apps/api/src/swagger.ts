import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { documentCommonResponses, ProblemDto } from '@switchboard/common';
import { documentConnectionBodies } from '@switchboard/connections';
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
    // 3.1: the connection types' config schemas are JSON Schema 2020-12 (if/then, examples, propertyNames).
    .setOpenAPIVersion('3.1.0')
    .addServer('/', 'This service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Access token (JWT) or API key (sbk_…)' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key (sbk_…)' }, 'apiKey')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('apiKey')
    .addTag('health', 'Liveness and readiness; no credentials needed.')
    .addTag('auth', 'Signing in and out, refreshing tokens, who am I.')
    .addTag('users', 'Accounts of this instance (instance admins).')
    .addTag('projects', 'Projects: the unit of ownership and access.')
    .addTag('members', 'Who has which role in a project.')
    .addTag('api-keys', 'Project API keys with their own scopes.')
    .addTag('audit', 'What was done in a project, by whom.')
    .addTag('connection-types', 'The types of connection and the JSON Schema of each config.')
    .addTag('connections', 'Connection definitions, their secrets, consumers and tests.')
    .addTag('introspection', 'Looking inside a connection: databases, tables, previews, queries, files.')
    .addTag('credentials', 'Credentials shared by connections of a project.')
    .addTag('admin', 'Instance administration: encryption keys.')
    .addTag('metrics', 'Prometheus metrics for an instance admin or the metrics token.')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
  documentCommonResponses(document);
  // Not open source (package.json: UNLICENSED); DocumentBuilder.setLicense would add an empty url.
  document.info.license = { name: 'Proprietary' };
  // The connection types' own JSON Schemas document `config`, so the docs never drift from validation.
  document.components ??= {};
  document.components.schemas ??= {};
  for (const definition of CONNECTION_TYPE_DEFINITIONS) {
    document.components.schemas[configSchemaName(definition.type)] = { ...definition.configSchema, title: `${definition.label} config` };
  }
  documentConnectionBodies(document);
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
