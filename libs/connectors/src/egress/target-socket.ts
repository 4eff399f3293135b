import net from 'node:net';
import { Duplex } from 'node:stream';
import type { ResolvedTarget } from './egress-guard';

type Pending = () => void;

/**
 * What drivers get in place of a `net.Socket` when the target is reached over a stream this
 * service opens some other way (an SSH tunnel's forwarded channel). Like `net.connect` it is
 * returned at once, `connecting` until the stream is open, then emits 'connect'; what is
 * written meanwhile waits. It has the socket methods drivers call (idle `setTimeout` works;
 * no-delay, keep-alive and ref are the carrying connection's business), and TLS goes on top of
 * it as on a socket (`tls.connect({ socket })`). Destroying it closes the stream, or the
 * stream once it arrives.
 */
export class StreamSocket extends Duplex {
  connecting = true;
  private stream?: Duplex;
  private waiting?: Pending;
  private idle?: NodeJS.Timeout;

  constructor(open: () => Promise<Duplex>) {
    super({ allowHalfOpen: false });
    open().then(
      (stream) => this.attach(stream),
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Opening began with the socket; pg calls this with the target's port and host, which the stream already has. */
  connect(): this {
    return this;
  }

  setTimeout(ms: number, onTimeout?: () => void): this {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (onTimeout) {
      if (ms > 0) this.once('timeout', onTimeout);
      else this.removeListener('timeout', onTimeout);
    }
    if (ms > 0) this.idle = setTimeout(() => this.emit('timeout'), ms).unref();
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.idle?.refresh();
    if (this.stream) this.stream.write(chunk, encoding, callback);
    else this.waiting = () => this._write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.stream) {
      this.stream.end();
      callback();
    } else this.waiting = () => this._final(callback);
  }

  override _read(): void {
    this.stream?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.idle);
    this.stream?.destroy();
    // A socket closes its handle asynchronously, and drivers count on it: TLS on top reports why
    // it destroyed the socket before the socket's 'close' (else mysql2 and pg report a lost connection instead).
    setImmediate(() => callback(error));
  }

  private attach(stream: Duplex): void {
    if (this.destroyed) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.connecting = false;
    let ended = false;
    stream.on('data', (chunk: Buffer) => {
      this.idle?.refresh();
      if (!this.push(chunk)) stream.pause();
    });
    stream.once('end', () => {
      ended = true;
      this.push(null);
      // As net.Socket does: with nothing left to read, 'end' is emitted now, not at the next read.
      this.read(0);
    });
    stream.on('error', (error: Error) => this.destroy(error));
    // Gone without an end: cut off, as a reset socket. After an end, what was read may still be
    // consumed, unless this side is done writing too (nobody reads a finished exchange).
    stream.once('close', () => {
      if (!ended) this.destroy(Object.assign(new Error('The stream to the target closed.'), { code: 'ECONNRESET' }));
      else if (this.readableEnded || this.writableFinished) this.destroy();
      else this.once('end', () => this.destroy());
    });
    this.emit('connect');
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

export type TargetSocket = net.Socket | StreamSocket;

/**
 * A connection to a checked target on `port`, as `net.connect` opens one: to the checked
 * address, or over the target's own stream when it has one (see ResolvedTarget.openStream).
 */
export function connectTarget(target: ResolvedTarget, port: number): TargetSocket {
  return target.openStream ? target.openStream() : net.connect({ host: target.address, port });
}
