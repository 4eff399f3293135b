import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '@switchboard/common';
import { ConnectionRejected, ConnectorContext, EgressGuard, IntrospectionContext, Session, SessionCache } from '@switchboard/connectors';
import { OutboundLimits } from './outbound-limits';
import { OperationLabels, OutboundMetrics } from './outbound-metrics';

/** A stored connection's identity for the session cache. */
export interface SessionOwner {
  connectionId: string;
  generation: string;
}

/**
 * Every call that leaves the service (tests, introspection, test email) goes through here:
 * the project's limits, one deadline for the whole operation, the egress guard, and a
 * configuration the connector rejects (e.g. a SQLite path outside the root) answering 422.
 * Each one is counted and timed by connection type, operation and outcome (refusals included).
 */
@Injectable()
export class Outbound {
  constructor(
    private readonly limits: OutboundLimits,
    private readonly egress: EgressGuard,
    private readonly sessions: SessionCache,
    private readonly metrics: OutboundMetrics,
  ) {}

  /** A connection test or test email: fresh connections, no cache. */
  test<T>(projectId: string, labels: OperationLabels, timeoutMs: number, work: (context: ConnectorContext) => Promise<T>): Promise<T> {
    return this.metrics.measure(labels, () => this.limits.run(projectId, 'test', timeoutMs, () => this.withDeadline(timeoutMs, work)));
  }

  /** Introspection on a stored connection, borrowing its cached live clients. */
  introspect<T>(
    projectId: string,
    owner: SessionOwner,
    labels: OperationLabels,
    timeoutMs: number,
    work: (context: IntrospectionContext) => Promise<T>,
  ): Promise<T> {
    return this.metrics.measure(labels, () =>
      this.limits.run(projectId, 'introspection', timeoutMs, () =>
        this.withDeadline(timeoutMs, (context) =>
          work({
            ...context,
            session: <C, R>(variant: string, open: () => Promise<Session<C>>, use: (client: C) => Promise<R>) =>
              this.sessions.use(owner.connectionId, owner.generation, open, use, variant, context.signal),
          }),
        ),
      ),
    );
  }

  private async withDeadline<T>(timeoutMs: number, work: (context: ConnectorContext) => Promise<T>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    const context: ConnectorContext = {
      signal: AbortSignal.timeout(timeoutMs),
      remainingMs: () => Math.max(0, deadline - Date.now()),
      egress: this.egress,
    };
    try {
      return await work(context);
    } catch (error) {
      if (error instanceof ConnectionRejected) throw new AppError(ErrorCode.UNPROCESSABLE, error.message);
      throw error;
    }
  }
}
