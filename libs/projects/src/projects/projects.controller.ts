import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor, CurrentPrincipal, type Principal } from '@switchboard/auth';
import { ApiProblems, Page, PageQueryDto, ValidBody, ValidQuery } from '@switchboard/common';
import { CurrentProject, type ProjectAccess } from '../access/project-access';
import { ProjectScoped } from '../access/project-scoped.decorator';
import { CreateProjectDto, ProjectDto, ProjectPageDto, UpdateProjectDto } from './project.dto';
import { ProjectsService } from './projects.service';

@ApiTags('projects')
@Controller('projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @ApiOperation({ summary: 'List the projects you belong to', description: 'Instance admins see every project; an API key sees its own.' })
  @ApiOkResponse({ type: ProjectPageDto })
  @ApiProblems(400, 401)
  list(@CurrentPrincipal() principal: Principal, @ValidQuery() query: PageQueryDto): Promise<Page<ProjectDto>> {
    return this.projects.list(principal, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a project; you become its owner', description: 'Signed-in users only, not API keys.' })
  @ApiCreatedResponse({ type: ProjectDto })
  @ApiProblems(400, 401, 403, 409)
  create(@CurrentActor() actor: AuditActor, @ValidBody() dto: CreateProjectDto): Promise<ProjectDto> {
    return this.projects.create(actor, dto);
  }

  @Get(':project')
  @ProjectScoped('projects:read')
  @ApiOperation({ summary: 'Get a project by slug or id' })
  @ApiOkResponse({ type: ProjectDto })
  get(@CurrentActor() actor: AuditActor, @CurrentProject() access: ProjectAccess): ProjectDto {
    return this.projects.get(actor, access);
  }

  @Patch(':project')
  @ProjectScoped('projects:write')
  @ApiOperation({ summary: 'Rename a project or change its slug or description' })
  @ApiOkResponse({ type: ProjectDto })
  @ApiProblems(400, 409)
  update(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @ValidBody() dto: UpdateProjectDto,
  ): Promise<ProjectDto> {
    return this.projects.update(actor, access, dto);
  }

  @Delete(':project')
  @HttpCode(204)
  @ProjectScoped('projects:delete')
  @ApiOperation({ summary: 'Delete a project and everything it holds (owners only)' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  delete(@CurrentActor() actor: AuditActor, @CurrentProject() access: ProjectAccess): Promise<void> {
    return this.projects.delete(actor, access);
  }
}
