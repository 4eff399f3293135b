import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyDto, ApiKeyPageDto, ApiKeysService, CreateApiKeyDto, CreatedApiKeyDto, CurrentActor } from '@switchboard/auth';
import type { AuditActor } from '@switchboard/audit';
import { ApiProblems, Page, PageQueryDto, ParseIdPipe, ValidBody, ValidQuery } from '@switchboard/common';
import { CurrentProject, type ProjectAccess } from '../access/project-access';
import { ProjectScoped } from '../access/project-scoped.decorator';

@ApiTags('api-keys')
@Controller('projects/:project/api-keys')
export class ProjectApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ProjectScoped('api-keys:write')
  @ApiOperation({ summary: "List a project's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyPageDto })
  @ApiProblems(400)
  list(@CurrentProject() access: ProjectAccess, @ValidQuery() query: PageQueryDto): Promise<Page<ApiKeyDto>> {
    return this.apiKeys.list(access.project.id, query);
  }

  @Post()
  @ProjectScoped('api-keys:write')
  @ApiOperation({
    summary: 'Create an API key for this project',
    description: 'The key is in this response only. Its scopes cannot exceed yours, and shrink if your role does.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(400)
  create(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @ValidBody() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(access.project.id, actor, access.scopes, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ProjectScoped('api-keys:write')
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once' })
  @ApiParam({ name: 'id', example: '0193a5b2-5a8e-7c1f-9d2e-3b4c5d6e7f80' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was).' })
  revoke(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('id', new ParseIdPipe('API key')) id: string,
  ): Promise<void> {
    return this.apiKeys.revoke(access.project.id, id, actor);
  }
}
