import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditActor, AuditService } from '@switchboard/audit';
import type { Scope } from '@switchboard/auth';
import { isForeignKeyViolation } from '@switchboard/database';
import {
  conflict,
  forbidden,
  notFound,
  Page,
  PageQueryDto,
  pageWindow,
  preconditionFailed,
  toPage,
  uuidv7,
  validationFailed,
} from '@switchboard/common';
import { assertCredentialContent, mergeFields } from './credential-content';
import { CredentialReferences } from './credential-references';
import { CreateCredentialDto, CredentialDto, PatchCredentialDto, ReplaceCredentialDto } from './credential.dto';
import { CredentialEntity } from './credential.entity';
import { CredentialsRepository } from './credentials.repository';
import { maskSecrets, mergeSecrets, SecretsUpdate } from './secrets-merge';
import { Secrets, SecretsVault } from './secrets-vault';
import { assertTrustKept } from './trust-anchors';

/**
 * Without If-Match a lost compare-and-set is re-applied: each loss means another writer's
 * update landed, so N concurrent writers need at most N attempts. The bound only stops a
 * credential that never stops changing.
 */
const UPDATE_ATTEMPTS = 50;

export const toCredentialDto = (credential: CredentialEntity, secrets?: Record<string, string>): CredentialDto => ({
  id: credential.id,
  name: credential.name,
  type: credential.type,
  description: credential.description,
  fields: credential.fields,
  secretFields: credential.secretFields,
  secretFingerprint: credential.secretFingerprint,
  ...(secrets && { secrets }),
  version: credential.version,
  createdAt: credential.createdAt.toISOString(),
  updatedAt: credential.updatedAt.toISOString(),
});

interface NextContent {
  name: string;
  description: string | null;
  fields: Record<string, string>;
  secrets: SecretsUpdate | undefined;
}

/** Shared credentials of a project, as the /credentials routes see them. */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly vault: SecretsVault,
    private readonly audit: AuditService,
    private readonly moduleRef: ModuleRef,
  ) {}

  async list(projectId: string, query: PageQueryDto): Promise<Page<CredentialDto>> {
    const [rows, total] = await this.credentials.listShared(projectId, pageWindow(query));
    return toPage(rows, total, query, (row) => toCredentialDto(row));
  }

  /** Masked by default; `reveal` needs secrets:reveal and leaves an audit event. */
  async get(actor: AuditActor, projectId: string, ref: string, reveal: boolean, scopes: readonly Scope[]): Promise<CredentialDto> {
    const credential = await this.requireShared(projectId, ref);
    if (!reveal) return toCredentialDto(credential, maskSecrets(credential.secretFields));
    if (!scopes.includes('secrets:reveal')) throw forbidden('Revealing secrets needs the scope secrets:reveal.');
    const secrets = await this.readSecrets(projectId, credential.id);
    await this.audit.record({
      actor,
      projectId,
      action: 'credential.reveal',
      target: { type: 'credential', id: credential.id, name: credential.name },
    });
    return toCredentialDto(credential, secrets);
  }

  async create(actor: AuditActor, projectId: string, dto: CreateCredentialDto): Promise<CredentialDto> {
    const fields = dto.fields ?? {};
    assertCredentialContent(dto.type, fields, dto.secrets, { rejectMask: true });
    const id = uuidv7();
    const now = new Date();
    await this.credentials.insert({
      id,
      projectId,
      name: dto.name,
      type: dto.type,
      description: dto.description ?? null,
      fields,
      ...this.vault.seal(projectId, id, dto.secrets),
      ownerConnectionId: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
      createdBy: actor.userId ?? null,
    });
    await this.audit.record({ actor, projectId, action: 'credential.create', target: { type: 'credential', id, name: dto.name } });
    return toCredentialDto((await this.credentials.findById(projectId, id))!, maskSecrets(Object.keys(dto.secrets)));
  }

  replace(
    actor: AuditActor,
    projectId: string,
    ref: string,
    dto: ReplaceCredentialDto,
    ifMatch?: readonly number[],
  ): Promise<CredentialDto> {
    return this.update(actor, projectId, ref, ifMatch, 'credential.replace', (current) => {
      if (dto.type !== undefined && dto.type !== current.type) {
        throw validationFailed([{ field: 'type', message: 'the type of a credential cannot change; create a new one' }]);
      }
      return { name: dto.name, description: dto.description ?? null, fields: dto.fields ?? {}, secrets: dto.secrets };
    });
  }

  patch(actor: AuditActor, projectId: string, ref: string, dto: PatchCredentialDto, ifMatch?: readonly number[]): Promise<CredentialDto> {
    return this.update(actor, projectId, ref, ifMatch, 'credential.update', (current) => ({
      name: dto.name ?? current.name,
      description: dto.description === undefined ? current.description : dto.description,
      fields: dto.fields ? mergeFields(current.fields, dto.fields) : current.fields,
      secrets: dto.secrets,
    }));
  }

  /** With `ifMatch`, deletes only the version read (412 otherwise, checked again atomically by the delete). */
  async delete(actor: AuditActor, projectId: string, ref: string, ifMatch?: readonly number[]): Promise<void> {
    const credential = await this.requireShared(projectId, ref);
    if (ifMatch && !ifMatch.includes(credential.version)) throw preconditionFailed();
    const users = await this.references().connectionsUsing(projectId, credential.id);
    if (users.length) throw conflict(`The credential is used by connection(s) ${users.join(', ')}; point them elsewhere first.`);
    try {
      if (!ifMatch) await this.credentials.delete(projectId, credential.id);
      else if (!(await this.credentials.deleteIfVersion(projectId, credential.id, credential.version))) throw preconditionFailed();
    } catch (error) {
      // A connection took it up since the check above: its foreign key keeps the row.
      if (isForeignKeyViolation(error)) throw conflict('A connection started using the credential meanwhile; point it elsewhere first.');
      throw error;
    }
    await this.audit.record({
      actor,
      projectId,
      action: 'credential.delete',
      target: { type: 'credential', id: credential.id, name: credential.name },
    });
  }

  findShared(projectId: string, ref: string): Promise<CredentialEntity | null> {
    return this.credentials.findSharedByRef(projectId, ref);
  }

  /** Resolved at call time: the implementation lives in the connections lib, above this one. */
  private references(): CredentialReferences {
    return this.moduleRef.get(CredentialReferences, { strict: false });
  }

  async requireShared(projectId: string, ref: string): Promise<CredentialEntity> {
    const credential = await this.credentials.findSharedByRef(projectId, ref);
    if (!credential) throw notFound('Credential');
    return credential;
  }

  async readSecrets(projectId: string, credentialId: string): Promise<Secrets> {
    const credential = await this.credentials.findWithEnvelope(projectId, credentialId);
    if (!credential) throw notFound('Credential');
    return this.vault.open(projectId, credentialId, credential.secretEnvelope);
  }

  /**
   * Read, apply, compare-and-set. With If-Match a lost race answers 412; without, the
   * change is re-applied to what won, so nothing another writer did is lost.
   */
  private async update(
    actor: AuditActor,
    projectId: string,
    ref: string,
    ifMatch: readonly number[] | undefined,
    action: string,
    next: (current: CredentialEntity) => NextContent,
  ): Promise<CredentialDto> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await this.requireShared(projectId, ref);
      if (ifMatch && !ifMatch.includes(current.version)) throw preconditionFailed();
      const content = next(current);
      const stored = await this.readSecrets(projectId, current.id);
      const merged = mergeSecrets(stored, content.secrets);
      assertCredentialContent(current.type, content.fields, merged.secrets);
      assertTrustKept(stored, merged);
      const sealed = merged.changed ? this.vault.seal(projectId, current.id, merged.secrets) : {};
      const updated = await this.credentials.updateIfVersion(projectId, current.id, current.version, {
        name: content.name,
        description: content.description,
        fields: content.fields,
        ...sealed,
        updatedAt: new Date(),
      });
      if (updated) {
        if (merged.changed) await this.references().credentialChanged(projectId, current.id);
        await this.audit.record({
          actor,
          projectId,
          action,
          target: { type: 'credential', id: current.id, name: content.name },
          details: { secretsChanged: merged.changed },
        });
        const saved = (await this.credentials.findById(projectId, current.id))!;
        return toCredentialDto(saved, maskSecrets(saved.secretFields));
      }
      if (ifMatch) throw preconditionFailed();
    }
    throw conflict('The credential kept changing while this update was applied; try again.');
  }
}
