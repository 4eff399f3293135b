import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '@switchboard/auth';
import { ApiMergePatch, ApiProblems, IfMatch, Page, PageQueryDto, parseIfMatch, ValidBody, ValidQuery } from '@switchboard/common';
import { CurrentProject, type ProjectAccess, ProjectScoped } from '@switchboard/projects';
import {
  CreateCredentialDto,
  CredentialDto,
  CredentialPageDto,
  PatchCredentialDto,
  ReplaceCredentialDto,
  RevealQueryDto,
} from './credential.dto';
import { CredentialsService } from './credentials.service';

const CREDENTIAL_PARAM = ApiParam({ name: 'credential', description: 'Credential name or id', example: 'warehouse-reader' });

@ApiTags('credentials')
@Controller('projects/:project/credentials')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get()
  @ProjectScoped('credentials:read')
  @ApiOperation({ summary: "List a project's shared credentials (never their secrets)" })
  @ApiOkResponse({ type: CredentialPageDto })
  @ApiProblems(400)
  list(@CurrentProject() access: ProjectAccess, @ValidQuery() query: PageQueryDto): Promise<Page<CredentialDto>> {
    return this.credentials.list(access.project.id, query);
  }

  @Post()
  @ProjectScoped('credentials:write')
  @ApiOperation({ summary: 'Store a credential; its secrets are encrypted and never returned' })
  @ApiCreatedResponse({ type: CredentialDto, description: 'With Location and ETag headers.' })
  @ApiProblems(400, 409)
  create(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @ValidBody() dto: CreateCredentialDto,
  ): Promise<CredentialDto> {
    return this.credentials.create(actor, access.project.id, dto);
  }

  @Get(':credential')
  @ProjectScoped('credentials:read')
  @CREDENTIAL_PARAM
  @ApiOperation({ summary: 'Get a credential; secrets masked, or revealed with ?reveal=true (secrets:reveal, audited)' })
  @ApiOkResponse({ type: CredentialDto, description: 'With an ETag header.' })
  get(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('credential') ref: string,
    @ValidQuery() query: RevealQueryDto,
  ): Promise<CredentialDto> {
    return this.credentials.get(actor, access.project.id, ref, query.reveal === 'true', access.scopes);
  }

  @Put(':credential')
  @ProjectScoped('credentials:write')
  @CREDENTIAL_PARAM
  @ApiOperation({ summary: 'Replace a credential; omitted or "********" secrets are kept, null clears one' })
  @ApiOkResponse({ type: CredentialDto })
  @ApiProblems(400, 409, 412, 422)
  replace(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('credential') ref: string,
    @ValidBody() dto: ReplaceCredentialDto,
    @IfMatch() ifMatch?: string,
  ): Promise<CredentialDto> {
    return this.credentials.replace(actor, access.project.id, ref, dto, parseIfMatch(ifMatch));
  }

  @Patch(':credential')
  @ProjectScoped('credentials:write')
  @CREDENTIAL_PARAM
  @ApiOperation({ summary: 'Change part of a credential (JSON merge patch)' })
  @ApiMergePatch()
  @ApiOkResponse({ type: CredentialDto })
  @ApiProblems(400, 409, 412, 422)
  patch(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('credential') ref: string,
    @ValidBody() dto: PatchCredentialDto,
    @IfMatch() ifMatch?: string,
  ): Promise<CredentialDto> {
    return this.credentials.patch(actor, access.project.id, ref, dto, parseIfMatch(ifMatch));
  }

  @Delete(':credential')
  @HttpCode(204)
  @ProjectScoped('credentials:write')
  @CREDENTIAL_PARAM
  @ApiOperation({
    summary: 'Delete a credential; refused (409, naming them) while connections use it',
    description: 'With If-Match, only the version read is deleted: a stale ETag answers 412 and deletes nothing.',
  })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(409, 412)
  delete(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('credential') ref: string,
    @IfMatch() ifMatch?: string,
  ): Promise<void> {
    return this.credentials.delete(actor, access.project.id, ref, parseIfMatch(ifMatch));
  }
}
