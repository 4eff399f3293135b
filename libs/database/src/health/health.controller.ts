import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Public, serviceUnavailable } from '@switchboard/common';
import { STORE_RETRY_AFTER_SECONDS } from '../database-errors';
import { DatabaseHealth } from './database.health';

export class HealthDto {
  @ApiProperty({ example: 'ok' }) status: 'ok';
}

export class ReadinessDto extends HealthDto {
  @ApiProperty({ example: { database: { status: 'ok', driver: 'sqlite' } } })
  checks: { database: { status: 'ok'; driver: string } };
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabaseHealth) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ type: HealthDto })
  live(): HealthDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the metadata database answers' })
  @ApiOkResponse({ type: ReadinessDto })
  @ApiProblems(503)
  async ready(): Promise<ReadinessDto> {
    if (!(await this.database.ping())) throw serviceUnavailable('The database is not answering.', STORE_RETRY_AFTER_SECONDS);
    return { status: 'ok', checks: { database: { status: 'ok', driver: this.database.driver } } };
  }
}
