import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { connectTarget, StreamSocket } from './target-socket';

describe('StreamSocket: a socket over a stream opened later', () => {
  /** An echo server on loopback: what a StreamSocket's stream leads to in these tests. */
  let server: net.Server;
  let port: number;
  const accepted: net.Socket[] = [];

  before(async () => {
    server = net.createServer((socket) => {
      accepted.push(socket);
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A stream to the echo server, handed over once connected (as a forwarded channel would be). */
  const echo = async (): Promise<Duplex> => {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  };

  it('is connecting until the stream is open, then emits connect; what was written meanwhile is sent', async () => {
    let open!: (stream: Duplex) => void;
    const socket = new StreamSocket(() => new Promise<Duplex>((resolve) => (open = resolve)));
    assert.equal(socket.connecting, true);
    socket.write('early ');
    open(await echo());
    await once(socket, 'connect');
    assert.equal(socket.connecting, false);
    socket.end('late');
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'early late');
  });

  it('fails as a socket does when the stream cannot be opened', async () => {
    const refused = Object.assign(new Error('no channel'), { code: 'ECONNREFUSED' });
    const socket = new StreamSocket(() => Promise.reject(refused));
    const [error] = (await once(socket, 'error')) as [Error];
    assert.equal(error, refused);
  });

  it('destroyed before the stream arrives, closes the stream when it does', async () => {
    let open!: (stream: Duplex) => void;
    const socket = new StreamSocket(() => new Promise<Duplex>((resolve) => (open = resolve)));
    socket.destroy();
    await once(socket, 'close');
    const stream = await echo();
    open(stream);
    await once(stream, 'close');
    assert.equal(stream.destroyed, true);
  });

  it('ends when the far side ends, and is reset when the stream is cut without an end', async () => {
    const ended = new StreamSocket(echo);
    await once(ended, 'connect');
    accepted.at(-1)!.end();
    ended.resume();
    await once(ended, 'end');

    const cut = new StreamSocket(echo);
    await once(cut, 'connect');
    const errored = once(cut, 'error');
    (cut as unknown as { stream: Duplex }).stream.destroy();
    const [error] = (await errored) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
  });

  it("reports 'timeout' after setTimeout's idle time, as a socket does", async () => {
    const socket = new StreamSocket(echo);
    await once(socket, 'connect');
    const started = Date.now();
    let timedOut = false;
    socket.setTimeout(100, () => (timedOut = true));
    await once(socket, 'timeout');
    assert.ok(timedOut && Date.now() - started >= 90);
    socket.destroy();
  });

  it('connectTarget dials the checked address, or opens the target its own stream', async () => {
    const direct = connectTarget({ address: '127.0.0.1', family: 4, host: 'localhost' }, port);
    assert.ok(direct instanceof net.Socket);
    await once(direct, 'connect');
    direct.destroy();
    const own = new StreamSocket(echo);
    assert.equal(connectTarget({ address: 'db.internal', family: 4, host: 'db.internal', openStream: () => own }, 5432), own);
    own.destroy();
  });
});
