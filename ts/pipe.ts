// Pipe: a byte stream with write and read ends (assembly/pipe.ts), and adapters to Node's
// and the WHATWG streams. Writes of up to PIPE_BUF bytes are atomic; reads return up to n
// bytes, then null at end-of-file (every write end closed and everything read).
import { Channel } from './channel';
import { Kind } from './kinds';
import { ClosedError, Status, checkInt, errorFor, describe } from './errors';
import { nodeBuiltin } from './platform';
import type { WaitOptions } from './wait';

export const PIPE_BUF = 4096;

export class Pipe extends Channel<Uint8Array> {
  override readonly kind: number = Kind.pipe;

  /** Open a write end. ClosedError if every reader has gone (EPIPE). */
  writer(): PipeWriter {
    this.live();
    const rc = this.core.pipe_open(this.offset, 1);
    if (rc < 0) throw errorFor(rc, `${this.label}: open a write end (no reader left)`);
    this.registerAs('sender'); // an open write end counts as a sender, written to or not
    return new PipeWriter(this);
  }

  /** Open a read end. */
  reader(): PipeReader {
    this.live();
    const rc = this.core.pipe_open(this.offset, 0);
    if (rc < 0) throw errorFor(rc, `${this.label}: open a read end`);
    this.registerAs('receiver');
    return new PipeReader(this);
  }

  /** @internal */
  closeEnd(writer: boolean): void { this.core.pipe_close(this.offset, writer ? 1 : 0); }

  /** Every read end has closed: writes fail (EPIPE). */
  get broken(): boolean { return this.core.pipe_broken(this.offset) === 1; }
}

function chunks(bytes: Uint8Array): Uint8Array[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`a pipe writes Uint8Array values, got ${describe(bytes)}`);
  const out = [];
  for (let i = 0; i < bytes.length; i += PIPE_BUF) out.push(bytes.subarray(i, i + PIPE_BUF));
  return out;
}

export class PipeWriter {
  #pipe: Pipe | undefined;
  constructor(pipe: Pipe) { this.#pipe = pipe; }

  #open(): Pipe {
    if (!this.#pipe) throw new ClosedError('pipe: this write end is closed', Status.CLOSED);
    return this.#pipe;
  }

  #epipe(e: unknown, pipe: Pipe): unknown {
    return e instanceof ClosedError && pipe.broken ? new ClosedError(`${pipe.label}: every read end is closed (EPIPE)`, Status.CLOSED) : e;
  }

  /** Write all bytes (blocking while the pipe is full). Up to 4096 bytes go in one atomic piece. */
  write(bytes: Uint8Array, timeout?: number): void {
    const pipe = this.#open();
    try { for (const c of chunks(bytes)) if (c.length) pipe.send(c, timeout); } catch (e) { throw this.#epipe(e, pipe); }
  }

  async writeAsync(bytes: Uint8Array, options?: WaitOptions): Promise<void> {
    const pipe = this.#open();
    try { for (const c of chunks(bytes)) if (c.length) await pipe.sendAsync(c, options); } catch (e) { throw this.#epipe(e, pipe); }
  }

  /** Close this end; when the last write end closes, readers get end-of-file after the data. */
  close(): void {
    if (!this.#pipe) return;
    this.#pipe.closeEnd(true);
    this.#pipe = undefined;
  }

  [Symbol.dispose](): void { this.close(); }

  /** A WHATWG WritableStream over this end (back-pressure: each write resolves once queued). */
  writable(): WritableStream<Uint8Array> {
    return new WritableStream({
      write: (chunk) => this.writeAsync(chunk),
      close: () => this.close(),
      abort: () => this.close(),
    });
  }

  /** A Node stream.Writable over this end (Node only). */
  nodeWritable(): import('node:stream').Writable {
    const stream = nodeBuiltin<typeof import('node:stream')>('node:stream');
    if (!stream) throw new TypeError('nodeWritable() needs Node; use writable() elsewhere');
    return new stream.Writable({
      write: (chunk: Uint8Array, _enc, cb) => { this.writeAsync(chunk).then(() => cb(), cb); },
      final: (cb) => { this.close(); cb(); },
      destroy: (err, cb) => { this.close(); cb(err); },
    });
  }
}

export class PipeReader {
  #pipe: Pipe | undefined;
  #rest: Uint8Array | undefined;
  constructor(pipe: Pipe) { this.#pipe = pipe; }

  #open(): Pipe {
    if (!this.#pipe) throw new ClosedError('pipe: this read end is closed', Status.CLOSED);
    return this.#pipe;
  }

  #cut(chunk: Uint8Array, n: number): Uint8Array {
    if (chunk.length > n) { this.#rest = chunk.subarray(n); return chunk.subarray(0, n); }
    this.#rest = undefined;
    return chunk;
  }

  /** Read up to n bytes (blocking while empty); null at end-of-file. */
  read(n = 65536, timeout?: number): Uint8Array | null {
    checkInt(n, 'n', 1, 0x7fff_ffff);
    const pipe = this.#open();
    if (this.#rest) return this.#cut(this.#rest, n);
    try { return this.#cut(pipe.recv(timeout), n); } catch (e) { if (e instanceof ClosedError && !pipe.disposed) return null; throw e; }
  }

  async readAsync(n = 65536, options?: WaitOptions): Promise<Uint8Array | null> {
    checkInt(n, 'n', 1, 0x7fff_ffff);
    const pipe = this.#open();
    if (this.#rest) return this.#cut(this.#rest, n);
    try { return this.#cut(await pipe.recvAsync(options), n); } catch (e) { if (e instanceof ClosedError && !pipe.disposed) return null; throw e; }
  }

  /** Close this end; when the last read end closes, writers get ClosedError (EPIPE). */
  close(): void {
    if (!this.#pipe) return;
    this.#pipe.closeEnd(false);
    this.#pipe = undefined;
  }

  [Symbol.dispose](): void { this.close(); }

  /** A WHATWG ReadableStream over this end: pulled on demand, so back-pressure holds. */
  readable(): ReadableStream<Uint8Array> {
    return new ReadableStream({
      pull: async (ctl) => {
        const chunk = await this.readAsync();
        if (chunk === null) ctl.close(); else ctl.enqueue(chunk);
      },
      cancel: () => this.close(),
    });
  }

  /** A Node stream.Readable over this end (Node only). */
  nodeReadable(): import('node:stream').Readable {
    const stream = nodeBuiltin<typeof import('node:stream')>('node:stream');
    if (!stream) throw new TypeError('nodeReadable() needs Node; use readable() elsewhere');
    const readable: import('node:stream').Readable = new stream.Readable({
      read: (size) => {
        this.readAsync(Math.max(size, 1)).then((chunk) => { readable.push(chunk); }, (e) => readable.destroy(e));
      },
      destroy: (err, cb) => { this.close(); cb(err); },
    });
    return readable;
  }
}
