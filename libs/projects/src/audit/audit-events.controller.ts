import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditEventDto, AuditEventPageDto, AuditQueryDto, AuditQueryService } from '@switchboard/audit';
import { ApiProblems, Page, ValidQuery } from '@switchboard/common';
import { CurrentProject, type ProjectAccess } from '../access/project-access';
import { ProjectScoped } from '../access/project-scoped.decorator';

// Here rather than in libs/audit: it needs the project access guard, and audit sits below projects.
@ApiTags('audit')
@Controller('projects/:project/audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @ProjectScoped('audit:read')
  @ApiOperation({ summary: "A project's audit trail, newest first", description: 'Filter by action (or "prefix.") and time.' })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiProblems(400)
  list(@CurrentProject() access: ProjectAccess, @ValidQuery() query: AuditQueryDto): Promise<Page<AuditEventDto>> {
    return this.audit.list(access.project.id, query);
  }
}
