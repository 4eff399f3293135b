import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import type { Scope } from '@switchboard/auth';
import {
  conflict,
  notFound,
  Page,
  PageQueryDto,
  pageWindow,
  preconditionFailed,
  toPage,
  uuidv7,
  validationFailed,
} from '@switchboard/common';
import type { Secrets, SecretsUpdate } from '@switchboard/connectors';
import { isForeignKeyViolation, LostRace, updateWithRetries } from '@switchboard/database';
import { assertCredentialContent, mergeFields } from './credential-content';
import { CredentialReferences } from './credential-references';
import { CreateCredentialDto, CredentialDto, PatchCredentialDto, ReplaceCredentialDto, toCredentialDto } from './credential.dto';
import { CredentialEntity } from './credential.entity';
import { CredentialsRepository } from './credentials.repository';
import { SecretReveals } from './secret-reveals';
import { maskSecrets, mergeSecrets } from './secrets-merge';
import { SecretsVault } from './secrets-vault';
import { assertTrustKept } from './trust-anchors';

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
    private readonly reveals: SecretReveals,
    private readonly references: CredentialReferences,
  ) {}

  async list(projectId: string, query: PageQueryDto): Promise<Page<CredentialDto>> {
    const [rows, total] = await this.credentials.listShared(projectId, pageWindow(query));
    return toPage(rows, total, query, (row) => toCredentialDto(row));
  }

  /** Masked by default; `reveal` needs secrets:reveal and leaves an audit event. */
  async get(actor: AuditActor, projectId: string, ref: string, reveal: boolean, scopes: readonly Scope[]): Promise<CredentialDto> {
    const credential = await this.requireShared(projectId, ref);
    if (!reveal) return toCredentialDto(credential, maskSecrets(credential.secretFields));
    const target = { type: 'credential' as const, id: credential.id, name: credential.name };
    const secrets = await this.reveals.reveal(actor, projectId, scopes, target, () => this.readSecrets(projectId, credential.id));
    return toCredentialDto(credential, secrets);
  }

  async create(actor: AuditActor, projectId: string, dto: CreateCredentialDto): Promise<CredentialDto> {
    const fields = dto.fields ?? {};
    assertCredentialContent(dto.type, fields, dto.secrets, { rejectMask: true });
    const id = uuidv7();
    const now = new Date();
    await this.credentials.insert(projectId, {
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
    const users = await this.references.connectionsUsing(projectId, credential.id);
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

  /** Read, apply, compare-and-set (updateWithRetries: 412 with If-Match, re-applied to what won without). */
  private update(
    actor: AuditActor,
    projectId: string,
    ref: string,
    ifMatch: readonly number[] | undefined,
    action: string,
    next: (current: CredentialEntity) => NextContent,
  ): Promise<CredentialDto> {
    const read = (target: string) => this.requireShared(projectId, target);
    return updateWithRetries('credential', ref, ifMatch, read, async (current) => {
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
      if (!updated) throw new LostRace();
      if (merged.changed) await this.references.credentialChanged(projectId, current.id);
      await this.audit.record({
        actor,
        projectId,
        action,
        target: { type: 'credential', id: current.id, name: content.name },
        details: { secretsChanged: merged.changed },
      });
      const saved = (await this.credentials.findById(projectId, current.id))!;
      return toCredentialDto(saved, maskSecrets(saved.secretFields));
    });
  }
}
