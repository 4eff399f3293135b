import { Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor, CurrentPrincipal, type Principal } from '@switchboard/auth';
import { ApiProblems, Page, PageQueryDto, ParseIdPipe, ValidBody, ValidQuery } from '@switchboard/common';
import { CurrentProject, type ProjectAccess } from '../access/project-access';
import { ProjectScoped } from '../access/project-scoped.decorator';
import { AddMemberDto, MemberDto, MemberPageDto, PutMemberDto } from './member.dto';
import { MembersService } from './members.service';

@ApiTags('members')
@Controller('projects/:project/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Get()
  @ProjectScoped('projects:read')
  @ApiOperation({ summary: "List a project's members and their roles" })
  @ApiOkResponse({ type: MemberPageDto })
  @ApiProblems(400)
  list(@CurrentProject() access: ProjectAccess, @ValidQuery() query: PageQueryDto): Promise<Page<MemberDto>> {
    return this.members.list(access, query);
  }

  @Post()
  @HttpCode(200)
  @ProjectScoped('members:write')
  @ApiOperation({
    summary: 'Add a user to the project by email, or change their role',
    description:
      'Finds only users you can already see: a signed-in instance admin, every user; anyone else, the members of the ' +
      'projects they belong to (an API key: of its own project). Any other email answers the same 404 whether or not ' +
      'a user has it, so the route tells nobody which emails exist. The rules of PUT .../members/{userId} apply.',
  })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 404, 409)
  add(
    @CurrentActor() actor: AuditActor,
    @CurrentPrincipal() principal: Principal,
    @CurrentProject() access: ProjectAccess,
    @ValidBody() dto: AddMemberDto,
  ): Promise<MemberDto> {
    return this.members.addByEmail(actor, principal, access, dto.email, dto.role);
  }

  @Put(':userId')
  @ProjectScoped('members:write')
  @ApiOperation({
    summary: 'Add a user to the project or change their role',
    description:
      'You grant or take away only roles whose scopes you all hold (an API key: its own scopes), so only owners touch ' +
      'ownership; the last owner stays. An API key cannot change the membership of its own creator.',
  })
  @ApiParam({ name: 'userId', example: '0193a5b2-0000-7000-8000-000000000002' })
  @ApiOkResponse({ type: MemberDto })
  @ApiProblems(400, 409)
  put(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('userId', new ParseIdPipe('User')) userId: string,
    @ValidBody() dto: PutMemberDto,
  ): Promise<MemberDto> {
    return this.members.put(actor, access, userId, dto.role);
  }

  @Delete(':userId')
  @HttpCode(204)
  @ProjectScoped('members:write')
  @ApiOperation({ summary: 'Remove a member; their API keys for this project stop working' })
  @ApiParam({ name: 'userId', example: '0193a5b2-0000-7000-8000-000000000002' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiProblems(409)
  remove(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('userId', new ParseIdPipe('Member')) userId: string,
  ): Promise<void> {
    return this.members.remove(actor, access, userId);
  }
}
