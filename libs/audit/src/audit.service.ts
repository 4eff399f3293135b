import { Injectable } from '@nestjs/common';
import { scrub, uuidv7 } from '@switchboard/common';
import type { AuditActorType, AuditOutcome } from './audit-event.entity';
import { AuditRepository } from './audit.repository';

/** Who acts, as the audit trail records it. Built from the request by the auth lib. */
export interface AuditActor {
  type: AuditActorType;
  userId?: string | null;
  apiKeyId?: string | null;
  label?: string | null;
  requestId?: string | null;
  ip?: string | null;
}

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  projectId?: string | null;
  target: { type: string; id?: string | null; name?: string | null };
  outcome?: AuditOutcome;
  /** Context worth keeping (changed field names, counts); scrubbed of secret-looking keys. */
  details?: Record<string, unknown>;
}

/**
 * Scrubbed of secret-looking keys, except top-level booleans: `secretsChanged: true` cannot
 * carry a secret, and an auditor needs to read it.
 */
function scrubDetails(details: Record<string, unknown>): Record<string, unknown> {
  const scrubbed = scrub(details) as Record<string, unknown>;
  for (const [key, value] of Object.entries(details)) if (typeof value === 'boolean') scrubbed[key] = value;
  return scrubbed;
}

@Injectable()
export class AuditService {
  constructor(private readonly events: AuditRepository) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.events.insert({
      id: uuidv7(),
      projectId: entry.projectId ?? null,
      actorType: entry.actor.type,
      actorUserId: entry.actor.userId ?? null,
      actorApiKeyId: entry.actor.apiKeyId ?? null,
      actorLabel: entry.actor.label?.slice(0, 254) ?? null,
      action: entry.action,
      targetType: entry.target.type,
      targetId: entry.target.id ?? null,
      targetName: entry.target.name?.slice(0, 254) ?? null,
      outcome: entry.outcome ?? 'success',
      requestId: entry.actor.requestId ?? null,
      ip: entry.actor.ip ?? null,
      details: entry.details ? scrubDetails(entry.details) : null,
      createdAt: new Date(),
    });
  }
}
