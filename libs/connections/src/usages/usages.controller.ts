import { Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '@switchboard/auth';
import { ApiProblems, ValidBody } from '@switchboard/common';
import { CurrentProject, type ProjectAccess, ProjectScoped } from '@switchboard/projects';
import { PutUsageDto, UsageDto, UsageListDto } from './usage.dto';
import { UsagesService } from './usages.service';

const CONNECTION_PARAM = ApiParam({ name: 'connection', description: 'Connection name or id', example: 'warehouse' });
const CONSUMER_PARAM = ApiParam({ name: 'consumer', description: 'A pipeline or job name', example: 'airflow:nightly_load' });

@ApiTags('connections')
@Controller('projects/:project/connections/:connection/usages')
export class UsagesController {
  constructor(private readonly usages: UsagesService) {}

  @Get()
  @ProjectScoped('connections:read')
  @CONNECTION_PARAM
  @ApiOperation({ summary: 'Who uses this connection' })
  @ApiOkResponse({ type: UsageListDto })
  list(@CurrentProject() access: ProjectAccess, @Param('connection') ref: string): Promise<UsageListDto> {
    return this.usages.list(access, ref);
  }

  @Put(':consumer')
  @ProjectScoped('connections:read')
  @CONNECTION_PARAM
  @CONSUMER_PARAM
  @ApiOperation({
    summary: 'Register a consumer of this connection (idempotent)',
    description: 'Needs only connections:read, so a pipeline key can declare what it uses.',
  })
  @ApiOkResponse({ type: UsageDto })
  @ApiProblems(400)
  put(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @Param('consumer') consumer: string,
    @ValidBody() dto: PutUsageDto,
  ): Promise<UsageDto> {
    return this.usages.put(actor, access, ref, consumer, dto);
  }

  @Delete(':consumer')
  @HttpCode(204)
  @ProjectScoped('connections:read')
  @CONNECTION_PARAM
  @CONSUMER_PARAM
  @ApiOperation({ summary: 'Unregister a consumer' })
  @ApiNoContentResponse({ description: 'Unregistered.' })
  remove(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @Param('consumer') consumer: string,
  ): Promise<void> {
    return this.usages.remove(actor, access, ref, consumer);
  }
}
