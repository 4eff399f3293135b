import net from 'node:net';

/**
 * A loopback TCP proxy in front of a server that counts the bytes each way: point a
 * connection at `port` instead of the server's, and `bytesFromServer` says how much the
 * server really sent (e.g. to prove that a file's schema came from its head or footer only).
 * It can also cut every open connection, as a network failure would, or stop forwarding on
 * them while they stay open, as a network that went silent would.
 */
export interface CountingProxy {
  host: string;
  port: number;
  /** Bytes the server sent through the proxy since the start or the last reset. */
  readonly bytesFromServer: number;
  /** Bytes clients sent to the server since the start or the last reset. */
  readonly bytesToServer: number;
  /** Connections accepted since the start or the last reset. */
  readonly connections: number;
  /** Connections open right now. */
  readonly open: number;
  reset(): void;
  /** Destroys every open connection on both sides. */
  dropAll(): void;
  /**
   * Stops forwarding on every open connection, both ways: what either side sends is read and
   * dropped, so the connections stay open (and a side that closes its end is still seen).
   */
  stallAll(): void;
  close(): Promise<void>;
}

export async function startCountingProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<CountingProxy> {
  const counts = { fromServer: 0, toServer: 0, connections: 0 };
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    counts.connections += 1;
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    upstream.on('data', (chunk: Buffer) => (counts.fromServer += chunk.length));
    client.on('data', (chunk: Buffer) => (counts.toServer += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const dropAll = (): void => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  const stallAll = (): void => {
    for (const [client, upstream] of pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      // Unpiped, they would stop reading: keep reading (and dropping) to see a close.
      client.resume();
      upstream.resume();
    }
  };
  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    get bytesFromServer() {
      return counts.fromServer;
    },
    get bytesToServer() {
      return counts.toServer;
    },
    get connections() {
      return counts.connections;
    },
    get open() {
      return pairs.size;
    },
    reset() {
      counts.fromServer = 0;
      counts.toServer = 0;
      counts.connections = 0;
    },
    dropAll,
    stallAll,
    async close() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
