import type { Duplex } from 'node:stream';
import type { ConnectorContext } from '../connector';
import type { ResolvedTarget } from '../egress/egress-guard';
import { connectTarget } from '../egress/target-socket';
import { classifyNetworkError } from './network-errors';
import type { TestRun } from './test-run';

/**
 * Settles once `socket` is `ready` ('connect', or 'secureConnect' for TLS), then ends it: a probe
 * that opens and closes, nothing more. Its error rejects; the signal destroys it.
 */
export function openedThenClosed(socket: Duplex, ready: 'connect' | 'secureConnect', signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => socket.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal.addEventListener('abort', abort, { once: true });
    socket.once(ready, () => {
      signal.removeEventListener('abort', abort);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      reject(error);
    });
  });
}

/** Opens a connection to the checked target (TCP, or its tunnel's channel) and closes it: reachability, nothing more. */
export function connectTcp(target: ResolvedTarget, port: number, signal: AbortSignal): Promise<void> {
  return openedThenClosed(connectTarget(target, port), 'connect', signal);
}

/** The first two stages of most tests: resolve through the egress guard, then open TCP to the checked address. */
export async function reachTarget(run: TestRun, context: ConnectorContext, host: string, port: number): Promise<ResolvedTarget> {
  const where = `${host}:${port}`;
  const target = await run.stage(
    'dns',
    () => context.egress.resolve(host, port, context.signal),
    (error) => classifyNetworkError(error, where),
  );
  await run.stage(
    'tcp',
    () => connectTcp(target, port, context.signal),
    (error) => classifyNetworkError(error, where),
  );
  return target;
}
