import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '@switchboard/auth';
import { ApiMergePatch, ApiProblems, IfMatch, Page, parseIfMatch, ValidBody, ValidQuery } from '@switchboard/common';
import { RevealQueryDto } from '@switchboard/credentials';
import { CurrentProject, type ProjectAccess, ProjectScoped } from '@switchboard/projects';
import {
  CloneConnectionDto,
  ConnectionDto,
  ConnectionListQueryDto,
  ConnectionPageDto,
  CreateConnectionDto,
  DeleteConnectionQueryDto,
  PatchConnectionDto,
} from './connection.dto';
import { ConnectionsService } from './connections.service';

const CONNECTION_PARAM = ApiParam({ name: 'connection', description: 'Connection name or id', example: 'warehouse' });

@ApiTags('connections')
@Controller('projects/:project/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService) {}

  @Get()
  @ProjectScoped('connections:read')
  @ApiOperation({ summary: 'List connections: filter by type, enabled, search; sort; page (no secrets)' })
  @ApiOkResponse({ type: ConnectionPageDto })
  @ApiProblems(400)
  list(@CurrentProject() access: ProjectAccess, @ValidQuery() query: ConnectionListQueryDto): Promise<Page<ConnectionDto>> {
    return this.connections.list(access.project.id, query);
  }

  @Post()
  @ProjectScoped('connections:write')
  @ApiOperation({
    summary: 'Create a connection from config (+ inline secrets or a credentialId) or from a uri',
    description:
      'Inline secrets are encrypted into a credential the connection owns. 201 with Location and ETag. ' +
      'A shared credential at a location none of the project’s connections uses it at needs secrets:reveal (403).',
  })
  @ApiCreatedResponse({ type: ConnectionDto })
  @ApiProblems(400, 409)
  create(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @ValidBody() dto: CreateConnectionDto,
  ): Promise<ConnectionDto> {
    return this.connections.create(actor, access, dto);
  }

  @Get(':connection')
  @ProjectScoped('connections:read')
  @CONNECTION_PARAM
  @ApiOperation({ summary: 'Get a connection; secrets masked, or revealed with ?reveal=true (secrets:reveal, audited)' })
  @ApiOkResponse({ type: ConnectionDto, description: 'With an ETag header.' })
  get(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: RevealQueryDto,
  ): Promise<ConnectionDto> {
    return this.connections.get(actor, access, ref, query.reveal === 'true');
  }

  @Put(':connection')
  @ProjectScoped('connections:write')
  @CONNECTION_PARAM
  @ApiOperation({
    summary: 'Replace a connection',
    description:
      'Secrets omitted or "********" are kept, null clears one. Pointing it elsewhere while keeping inline secrets answers 422; ' +
      'with a shared credential, without secrets:reveal, 403.',
  })
  @ApiOkResponse({ type: ConnectionDto })
  @ApiProblems(400, 409, 412, 422)
  replace(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: CreateConnectionDto,
    @IfMatch() ifMatch?: string,
  ): Promise<ConnectionDto> {
    return this.connections.replace(actor, access, ref, dto, parseIfMatch(ifMatch));
  }

  @Patch(':connection')
  @ProjectScoped('connections:write')
  @CONNECTION_PARAM
  @ApiOperation({
    summary: 'Change part of a connection (JSON merge patch)',
    description:
      'Secrets follow the PUT rules: 422 for kept inline secrets at a new location; 403 for a shared credential without secrets:reveal.',
  })
  @ApiMergePatch()
  @ApiOkResponse({ type: ConnectionDto })
  @ApiProblems(400, 409, 412, 422)
  patch(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: PatchConnectionDto,
    @IfMatch() ifMatch?: string,
  ): Promise<ConnectionDto> {
    return this.connections.patch(actor, access, ref, dto, parseIfMatch(ifMatch));
  }

  @Delete(':connection')
  @HttpCode(204)
  @ProjectScoped('connections:write')
  @CONNECTION_PARAM
  @ApiOperation({
    summary: 'Delete a connection; refused (409, naming them) while consumers use it, unless ?force=true',
    description: 'With If-Match, only the version read is deleted: a stale ETag answers 412 and deletes nothing.',
  })
  @ApiNoContentResponse({ description: 'Deleted, with its inline secrets.' })
  @ApiProblems(409, 412)
  delete(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidQuery() query: DeleteConnectionQueryDto,
    @IfMatch() ifMatch?: string,
  ): Promise<void> {
    return this.connections.delete(actor, access, ref, query.force === 'true', parseIfMatch(ifMatch));
  }

  @Post(':connection/clone')
  @ProjectScoped('connections:write')
  @CONNECTION_PARAM
  @ApiOperation({ summary: 'Copy a connection under a new name (inline secrets re-encrypted; a shared credential stays shared)' })
  @ApiCreatedResponse({ type: ConnectionDto })
  @ApiProblems(400, 409)
  clone(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: CloneConnectionDto,
  ): Promise<ConnectionDto> {
    return this.connections.clone(actor, access, ref, dto);
  }
}
