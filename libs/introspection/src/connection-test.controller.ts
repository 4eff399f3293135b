import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditActor } from '@switchboard/audit';
import { CurrentActor } from '@switchboard/auth';
import { ApiProblems, ValidBody } from '@switchboard/common';
import type { TestResult } from '@switchboard/connectors';
import { CurrentProject, type ProjectAccess, ProjectScoped } from '@switchboard/projects';
import { TestDraftDto, TestOptionsDto, TestResultDto } from './connection-test.dto';
import { ConnectionTestService } from './connection-test.service';
import { SendTestEmailDto, TestEmailResultDto } from './test-email.dto';

@ApiTags('connections')
@Controller('projects/:project/connections')
export class ConnectionTestController {
  constructor(private readonly tests: ConnectionTestService) {}

  @Post('test')
  @HttpCode(200)
  @ProjectScoped('connections:test')
  @ApiOperation({
    summary: 'Test a draft connection (nothing is stored)',
    description:
      'The create body plus timeoutMs: a form as it would be saved (name, description, enabled and labels are checked as on create, ' +
      'then not used; name is optional). 200 whether or not the target answered; see success, stages and error.code. ' +
      'A shared credential at a location none of the project’s connections uses it at needs secrets:reveal (403).',
  })
  @ApiOkResponse({ type: TestResultDto })
  @ApiProblems(400, 422, 429)
  testDraft(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @ValidBody() dto: TestDraftDto,
  ): Promise<TestResult> {
    return this.tests.testDraft(actor, access, dto);
  }

  @Post(':connection/test')
  @HttpCode(200)
  @ProjectScoped('connections:test')
  @ApiParam({ name: 'connection', description: 'Connection name or id', example: 'warehouse' })
  @ApiOperation({
    summary: 'Test a stored connection',
    description: 'Resolves, checks egress, connects, authenticates and runs a trivial command within the deadline (5 s default, 30 s max).',
  })
  // Every option has a default: a bare POST is a test.
  @ApiBody({ type: TestOptionsDto, required: false })
  @ApiOkResponse({ type: TestResultDto })
  @ApiProblems(400, 422, 429)
  test(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() options: TestOptionsDto,
  ): Promise<TestResult> {
    return this.tests.testStored(actor, access, ref, options);
  }

  @Post(':connection/send-test-email')
  @HttpCode(200)
  @ProjectScoped('connections:test')
  @ApiParam({ name: 'connection', description: 'Connection name or id', example: 'mailer' })
  @ApiOperation({
    summary: 'Send one test message through an SMTP connection',
    description: "To `to`, or the connection's addressToTest. 200 with success false when the server refuses; 422 for other types.",
  })
  @ApiBody({ type: SendTestEmailDto, required: false })
  @ApiOkResponse({ type: TestEmailResultDto })
  @ApiProblems(400, 422, 429)
  sendTestEmail(
    @CurrentActor() actor: AuditActor,
    @CurrentProject() access: ProjectAccess,
    @Param('connection') ref: string,
    @ValidBody() dto: SendTestEmailDto,
  ): Promise<TestEmailResultDto> {
    return this.tests.sendTestEmail(actor, access, ref, dto);
  }
}
