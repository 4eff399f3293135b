import { Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Page, PageQueryDto, ParseIdPipe, ValidBody, ValidQuery } from '@switchboard/common';
import { InstanceAdminOnly } from '../guards/instance-admin.guard';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '../actor';
import { CreateUserDto, UpdateUserDto, UserDto, UserPageDto } from './user.dto';
import { UsersService } from './users.service';

// DELETE /users/{id} lives in projects (UserDeletionController): a project's last owner stays.
@ApiTags('users')
@Controller('users')
@InstanceAdminOnly()
@ApiProblems(401, 403)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users (instance admins)' })
  @ApiOkResponse({ type: UserPageDto })
  @ApiProblems(400)
  list(@ValidQuery() query: PageQueryDto): Promise<Page<UserDto>> {
    return this.users.list(query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (instance admins)' })
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems(400, 409)
  create(@CurrentActor() actor: AuditActor, @ValidBody() dto: CreateUserDto): Promise<UserDto> {
    return this.users.create(actor, dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user (instance admins)' })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(404)
  get(@Param('id', new ParseIdPipe('User')) id: string): Promise<UserDto> {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a user: name, password, admin flag, disabled',
    description:
      'A disabled user stops working at once (sessions ended, API keys refused), even as the last owner of a ' +
      'project: an instance admin can still manage that project, or enable the user again.',
  })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(400, 404, 409)
  update(
    @CurrentActor() actor: AuditActor,
    @Param('id', new ParseIdPipe('User')) id: string,
    @ValidBody() dto: UpdateUserDto,
  ): Promise<UserDto> {
    return this.users.update(actor, id, dto);
  }
}
