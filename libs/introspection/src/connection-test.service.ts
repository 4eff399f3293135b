import { Injectable } from '@nestjs/common';
import { AuditActor, AuditService } from '@switchboard/audit';
import { AppError, ErrorCode } from '@switchboard/common';
import { ConnectionResolver, SshHostKeyPins } from '@switchboard/connections';
import { ConnectorRegistry, ResolvedConnection, StageFailure, TestResult } from '@switchboard/connectors';
import type { ProjectAccess } from '@switchboard/projects';
import { DEFAULT_TEST_TIMEOUT_MS, TestDraftDto, TestOptionsDto } from './connection-test.dto';
import { Outbound } from './outbound';
import { SendTestEmailDto, TestEmailResultDto } from './test-email.dto';

/** "Test connection": a stored one or a draft, within a deadline, limited per project, audited. */
@Injectable()
export class ConnectionTestService {
  constructor(
    private readonly resolver: ConnectionResolver,
    private readonly connectors: ConnectorRegistry,
    private readonly outbound: Outbound,
    private readonly audit: AuditService,
    private readonly hostKeyPins: SshHostKeyPins,
  ) {}

  async testStored(actor: AuditActor, access: ProjectAccess, ref: string, options: TestOptionsDto): Promise<TestResult> {
    const resolved = await this.resolver.resolveForUse(access.project.id, ref);
    const result = await this.run(access.project.id, resolved, options.timeoutMs);
    await this.record(actor, access, result, { type: 'connection', id: resolved.connection.id, name: resolved.connection.name });
    return this.hostKeyPins.pinTested(actor, access.project.id, resolved.connection, result);
  }

  async testDraft(actor: AuditActor, access: ProjectAccess, dto: TestDraftDto): Promise<TestResult> {
    const { timeoutMs, name: _name, ...body } = dto;
    const resolved = await this.resolver.resolveDraft(actor, access, body);
    const result = await this.run(access.project.id, resolved, timeoutMs);
    await this.record(actor, access, result, { type: 'connection_draft', name: resolved.type });
    return result;
  }

  private run(projectId: string, connection: ResolvedConnection, timeoutMs = DEFAULT_TEST_TIMEOUT_MS): Promise<TestResult> {
    const connector = this.connectors.find(connection.type, 'test');
    if (!connector) throw new AppError(ErrorCode.UNSUPPORTED_OPERATION, `Testing ${connection.type} connections is not supported yet.`);
    const labels = { type: connection.type, operation: 'test' };
    return this.outbound.test(projectId, labels, timeoutMs, (context) => connector.test(connection, context));
  }

  /** Sends one message through an SMTP connection; 200 with success false when the server refuses. */
  async sendTestEmail(actor: AuditActor, access: ProjectAccess, ref: string, dto: SendTestEmailDto): Promise<TestEmailResultDto> {
    const resolved = await this.resolver.resolveForUse(access.project.id, ref);
    const connector = this.connectors.find(resolved.type, 'sendTestEmail');
    if (!connector) throw new AppError(ErrorCode.UNSUPPORTED_OPERATION, `This ${resolved.type} connection cannot send email.`);
    const to = dto.to ?? (typeof resolved.config.addressToTest === 'string' ? resolved.config.addressToTest : undefined);
    if (!to) throw new AppError(ErrorCode.UNPROCESSABLE, 'Give a recipient ("to"), or set addressToTest on the connection.');
    let result: TestEmailResultDto;
    try {
      const labels = { type: resolved.type, operation: 'testEmail' };
      const sent = await this.hostKeyPins.trustingFirstUse(
        actor,
        access.project.id,
        resolved.connection,
        'sendTestEmail',
        (trustOnFirstUse) =>
          this.outbound.test(access.project.id, labels, DEFAULT_TEST_TIMEOUT_MS, (context) =>
            connector.sendTestEmail(resolved, { ...context, trustOnFirstUse }, to),
          ),
      );
      result = { success: true, ...sent };
    } catch (error) {
      if (!(error instanceof StageFailure)) throw error;
      result = { success: false, accepted: [], rejected: [to], messageId: null, response: null, error: error.testError };
    }
    await this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'connection.send_test_email',
      target: { type: 'connection', id: resolved.connection.id, name: resolved.connection.name },
      outcome: result.success ? 'success' : 'failure',
      details: { accepted: result.accepted.length, errorCode: result.error?.code ?? null },
    });
    return result;
  }

  private record(
    actor: AuditActor,
    access: ProjectAccess,
    result: TestResult,
    target: { type: string; id?: string; name: string },
  ): Promise<void> {
    return this.audit.record({
      actor,
      projectId: access.project.id,
      action: 'connection.test',
      target,
      outcome: result.success ? 'success' : 'failure',
      details: { latencyMs: result.latencyMs, errorCode: result.error?.code ?? null, driver: result.driver },
    });
  }
}
