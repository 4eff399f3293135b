import { Injectable, Logger } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AppError, ErrorCode, forbidden, notFound, Page, PageQueryDto, pageWindow, toPage, uuidv7 } from '@switchboard/common';
import { randomBase62, sha256Hex } from '@switchboard/crypto';
import { AuthCache } from '../cache/auth-cache';
import type { Scope } from '../scopes/scopes';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './api-key.dto';
import { ApiKeyAuthenticationRepository, type ApiKeyAuthRow } from './api-key-authentication.repository';
import { ApiKeysRepository } from './api-keys.repository';

export const API_KEY_PREFIX = 'sbk_';
const API_KEY_RANDOM_CHARS = 40;
const SHOWN_PREFIX_CHARS = 12;
/** last_used_at is a hint, not a log: writing it at most once a minute keeps reads read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly lookup: ApiKeyAuthenticationRepository,
    private readonly audit: AuditService,
    private readonly cache: AuthCache,
  ) {}

  /** `grantable`: the creator's own scopes in the project; a key never holds more. */
  async create(projectId: string, actor: AuditActor, grantable: readonly Scope[], dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const beyond = dto.scopes.filter((scope) => !grantable.includes(scope));
    if (beyond.length) throw forbidden(`You cannot grant scopes you do not hold: ${beyond.join(', ')}.`);
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'The request has invalid fields.', {
        errors: [{ field: 'expiresAt', message: 'expiresAt must be in the future' }],
      });
    }
    const key = API_KEY_PREFIX + randomBase62(API_KEY_RANDOM_CHARS);
    const saved = await this.keys.insert(projectId, {
      id: uuidv7(),
      projectId,
      name: dto.name,
      prefix: key.slice(0, SHOWN_PREFIX_CHARS),
      keyHash: sha256Hex(key),
      scopes: [...new Set(dto.scopes)],
      createdBy: actor.userId!,
      createdAt: new Date(),
      expiresAt,
      revokedAt: null,
      lastUsedAt: null,
    });
    await this.audit.record({
      actor,
      projectId,
      action: 'api_key.create',
      target: { type: 'api_key', id: saved.id, name: saved.name },
      details: { scopes: saved.scopes, prefix: saved.prefix, expiresAt: saved.expiresAt?.toISOString() ?? null },
    });
    return { ...toApiKeyDto(saved), key };
  }

  async list(projectId: string, query: PageQueryDto): Promise<Page<ApiKeyDto>> {
    const [rows, total] = await this.keys.list(projectId, pageWindow(query));
    return toPage(rows, total, query, toApiKeyDto);
  }

  async revoke(projectId: string, id: string, actor: AuditActor): Promise<void> {
    const key = await this.keys.find(projectId, id);
    if (!key) throw notFound('API key');
    if (await this.keys.revoke(projectId, id, new Date())) {
      await this.cache.changed({ kind: 'apiKey', id });
      await this.audit.record({ actor, projectId, action: 'api_key.revoke', target: { type: 'api_key', id, name: key.name } });
    }
  }

  /** The live key behind a presented token, or null: unknown, revoked, expired or creator disabled. */
  async authenticate(token: string): Promise<ApiKeyAuthRow | null> {
    if (!looksLikeApiKey(token) || token.length > 200) return null;
    const hash = sha256Hex(token);
    const key = await this.cache.apiKey(hash, () => this.lookup.findByHash(hash));
    const now = new Date();
    if (!key || key.revokedAt || key.userDisabled || (key.expiresAt && key.expiresAt <= now)) return null;
    if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      key.lastUsedAt = now; // the cached row too, so the next request does not write again
      this.lookup.touchLastUsed(key.id, now).catch((error: unknown) => this.logger.warn({ err: error }, 'Could not record key use'));
    }
    return key;
  }
}
