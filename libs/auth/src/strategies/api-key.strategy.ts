import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeysService, looksLikeApiKey } from '../api-keys/api-keys.service';
import type { Principal } from '../principal';

/** An API key from `X-API-Key` or `Authorization: Bearer sbk_…`. */
export function extractApiKey(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  const authorization = request.headers.authorization;
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return match && looksLikeApiKey(match[1]) ? match[1] : undefined;
}

/**
 * The principal behind a request's API key, or false. Not a passport strategy: the
 * authentication guard calls it itself, so a key is looked up once per request.
 */
@Injectable()
export class ApiKeyStrategy {
  constructor(private readonly apiKeys: ApiKeysService) {}

  async validate(request: FastifyRequest): Promise<Principal | false> {
    const token = extractApiKey(request);
    if (!token) return false;
    const key = await this.apiKeys.authenticate(token);
    return key
      ? { kind: 'apiKey', userId: key.userId, isAdmin: key.userIsAdmin, apiKeyId: key.id, projectId: key.projectId, scopes: key.scopes }
      : false;
  }
}
