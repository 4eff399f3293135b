import { AppError, ErrorCode } from '@switchboard/common';
import type { ConnectorContext, TestError, TestResult } from '../connector';
import { classifyNetworkError } from '../probes/network-errors';
import { reachTarget } from '../probes/reach';
import { StageFailure, TestRun } from '../probes/test-run';
import { portOf, type RestApiClient, tlsHandshake } from './rest-api-client';
import { RestApiFailure } from './rest-api-failure';

/** What a REST API's connection test needs of its client besides RestApiClient: where it starts. */
type TestableClient = RestApiClient & { readonly base: URL };

/**
 * A REST API's connection test: its client (`invalid` says why none could be made from the
 * config), then dns and tcp to the base URL (or through the tunnel), tls for https (against
 * tlsCa when given), then the API's own `stages` on the opened client. Every failure becomes
 * the test's result, scrubbed of the secrets and of what the client sent.
 */
export async function testRestApi<C extends TestableClient>(
  context: ConnectorContext,
  tlsCa: string | undefined,
  create: () => C,
  invalid: (error: unknown) => TestError,
  stages: (run: TestRun, client: C) => Promise<TestResult>,
): Promise<TestResult> {
  let client: C | undefined;
  let run = new TestRun('undici', (message) => message);
  try {
    try {
      client = create();
    } catch (error) {
      throw new StageFailure(invalid(error));
    }
    const active = client;
    run = new TestRun('undici', (message) => active.scrub(message));
    const url = active.base;
    const target = await reachTarget(run, context, url.hostname.replace(/^\[(.*)\]$/u, '$1'), portOf(url));
    if (url.protocol === 'https:') {
      await run.stage(
        'tls',
        () => tlsHandshake(target, url, tlsCa, context.signal),
        (error) => classifyNetworkError(error, active.where),
      );
    }
    active.open(target);
    return await stages(run, active);
  } catch (error) {
    return run.fail(error instanceof RestApiFailure ? new StageFailure(error.testError) : error);
  } finally {
    await client?.close();
  }
}

/**
 * One operation on a REST API: its client (`invalid` is the message when the config makes none),
 * opened on the egress guard's checked address, `work`, then closed; failures as the API's answers
 * (404 naming `missing`, 429, 502/504).
 */
export async function useRestApi<C extends TestableClient, T>(
  create: () => C,
  invalid: string,
  missing: string,
  work: (client: C) => Promise<T>,
): Promise<T> {
  let client: C;
  try {
    client = create();
  } catch {
    throw new AppError(ErrorCode.TARGET_UNAVAILABLE, invalid, { extensions: { targetCode: 'PROTOCOL_ERROR' } });
  }
  try {
    client.open(await client.resolve());
    return await work(client);
  } catch (error) {
    throw client.appErrorOf(error, missing);
  } finally {
    await client.close();
  }
}
