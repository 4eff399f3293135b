/**
 * Loopback targets that never answer, for deadline tests:
 * - `silent`: accepts every TCP connection and never sends a byte (no greeting, no banner, no TLS).
 *   It reads (and drops) what it is sent, so it sees a client close its side.
 * - `unaccepting`: a listener whose accept queue is full, so a new connection's SYN is dropped and
 *   connecting hangs (as behind a firewall that drops packets). The listening process is a child
 *   whose event loop is blocked, so it never accepts; the queue is filled before it is handed out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

export interface BlackHole {
  port: number;
  close(): Promise<void>;
}

export interface SilentListener extends BlackHole {
  /** Connections accepted and still open (a client that abandoned one should have closed it). */
  open(): number;
}

export async function startSilent(): Promise<SilentListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume();
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Listens with a backlog of 1, prints the port, then blocks its event loop (Atomics.wait: no CPU) so nothing is ever accepted. */
const UNACCEPTING_CHILD = `
const net = require('node:net');
const server = net.createServer();
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  process.stdout.write(server.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
});
`;

/** How many connections fill a backlog of 1 (Linux queues backlog + 1), with margin. */
const FILLERS = 4;
const PROBE_MS = 300;

export async function startUnaccepting(): Promise<BlackHole> {
  const child: ChildProcess = spawn(process.execPath, ['-e', UNACCEPTING_CHILD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const killed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const fillers: net.Socket[] = [];
  const close = async (): Promise<void> => {
    for (const socket of fillers) socket.destroy();
    child.kill('SIGKILL');
    await killed;
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      child.once('exit', () => reject(new Error('the unaccepting listener exited')));
      setTimeout(() => reject(new Error('the unaccepting listener did not start')), 10_000).unref();
    });
    for (let i = 0; i < FILLERS; i++) {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      fillers.push(socket);
    }
    // The queue is full once a further connection cannot complete its handshake.
    const probe = net.connect({ host: '127.0.0.1', port });
    probe.on('error', () => undefined);
    const connected = await new Promise<boolean>((resolve) => {
      probe.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), PROBE_MS).unref();
    });
    probe.destroy();
    if (connected) throw new Error('the unaccepting listener accepted a connection: its queue is not full');
    return { port, close };
  } catch (error) {
    await close();
    throw error;
  }
}
