import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@switchboard/common';
import { ConnectionTypeDto, ConnectionTypeListDto } from './connection-type.dto';
import { ConnectionTypesService } from './connection-types.service';

@ApiTags('connection-types')
@Controller('connection-types')
@ApiProblems(401)
export class ConnectionTypesController {
  constructor(private readonly types: ConnectionTypesService) {}

  @Get()
  @ApiOperation({ summary: 'The connection types: config schema, secret fields, defaults, capabilities' })
  @ApiOkResponse({ type: ConnectionTypeListDto })
  list(): ConnectionTypeListDto {
    return this.types.list();
  }

  @Get(':type')
  @ApiOperation({ summary: 'One connection type' })
  @ApiParam({ name: 'type', example: 'postgres' })
  @ApiOkResponse({ type: ConnectionTypeDto })
  @ApiProblems(404)
  get(@Param('type') type: string): ConnectionTypeDto {
    return this.types.get(type);
  }
}
