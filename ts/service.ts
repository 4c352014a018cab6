// Services: the lecture notes' named rendezvous point (sockets). A server listens on a name
// (a named port it owns); a client connects by sending it two fresh channels (one each way)
// with confirm 'processed', and the server's accept() opens them and acknowledges. The
// connection is then those two channels, used like a socket. No new atomic protocol: ports,
// receipts and channels carry it (assembly/port.ts, receipt.ts, channel.ts).
//
// Failure: each end knows the other's thread id. A send to a dead peer fails at once
// (DeadPeerError); a receive fails once what the peer sent is drained (the channels'
// dead-peer detection). Fail-over: a server's death leaves its port ownerless, and the next
// listen() on the name claims it; connects in between fail with DeadPeerError.
import type { Port, PortMessage } from './port';
import type { Channel } from './channel';
import type { ObjectData, IpcObject } from './object';
import type { Segment } from './segment';
import { ClosedError, DeadPeerError, AlreadyExistsError, Status } from './errors';
import { checkWaitOptions, deadlineOf, remaining, type WaitOptions } from './wait';
import { jsonCodec, type Codec } from './codec';

/** A connection request: the client's channels, as data. */
interface Hello { c2s: ObjectData; s2c: ObjectData }

/** What the runtime gives services: open a handle's data, and make channels. */
export interface ServiceHost {
  open<O extends IpcObject>(data: ObjectData): O;
  channel<T>(name: undefined, options: { codec?: Codec<T>; capacity?: number; segment?: string }): Channel<T>;
}

/** One end of a connection: send and receive like a socket, or use it as web streams. */
export class Connection<T = Uint8Array> {
  /** The thread at the other end. */
  readonly peer: number;
  readonly #out: Channel<T>;
  readonly #in: Channel<T>;
  readonly #seg: Segment;

  /** @internal */
  constructor(out: Channel<T>, inn: Channel<T>, peer: number) {
    this.#out = out;
    this.#in = inn;
    this.peer = peer;
    this.#seg = out.segment;
  }

  #peerAlive(what: string): void {
    if (this.#seg.core.thread_alive(this.peer) !== 1) {
      throw new DeadPeerError(`connection to thread ${this.peer}: ${what}: the peer died`, Status.DEAD_PEER);
    }
  }

  send(value: T, timeout?: number): void { this.#peerAlive('send()'); this.#out.send(value, timeout); }
  trySend(value: T): boolean { this.#peerAlive('trySend()'); return this.#out.trySend(value); }
  sendAsync(value: T, options?: WaitOptions): Promise<void> { this.#peerAlive('sendAsync()'); return this.#out.sendAsync(value, options); }

  /** The next message; ClosedError once the peer closed its end and everything was read; DeadPeerError once it died. */
  recv(timeout?: number): T { return this.#in.recv(timeout); }
  tryRecv(): T | undefined { return this.#in.tryRecv(); }
  recvAsync(options?: WaitOptions): Promise<T> { return this.#in.recvAsync(options); }

  /** End this side's stream (the peer reads what is left, then ClosedError) and drop the handles. */
  close(): void {
    if (this.#out.disposed) return;
    this.#out.close();
    this.#out.dispose();
    this.#in.dispose();
  }

  [Symbol.dispose](): void { this.close(); }

  /** Messages until the peer closes its end. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      try { yield await this.recvAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  /** A ReadableStream of the peer's messages (it errors if the peer dies). */
  get readable(): ReadableStream<T> {
    return new ReadableStream<T>({
      pull: async (controller) => {
        try { controller.enqueue(await this.recvAsync()); } catch (e) {
          if (e instanceof ClosedError) controller.close(); else controller.error(e);
        }
      },
    });
  }

  /** A WritableStream to the peer; closing it closes this side. */
  get writable(): WritableStream<T> {
    return new WritableStream<T>({
      write: (chunk) => this.sendAsync(chunk),
      close: () => this.close(),
    });
  }
}

/** A listening service: accept() its connections. */
export class Server<T = Uint8Array> {
  readonly name: string;
  readonly #port: Port<Hello>;
  readonly #host: ServiceHost;
  readonly #codec: Codec<T>;

  /** @internal */
  constructor(name: string, port: Port<Hello>, host: ServiceHost, codec: Codec<T>) {
    this.name = name;
    this.#port = port;
    this.#host = host;
    this.#codec = codec;
  }

  /** The next connection, blocking until a client connects (up to `timeout` ms). */
  accept(timeout?: number): Connection<T> {
    const deadline = deadlineOf(timeout);
    for (;;) {
      const conn = this.#open(this.#port.receive(remaining(deadline) < 0 ? undefined : remaining(deadline)));
      if (conn) return conn;
    }
  }

  tryAccept(): Connection<T> | undefined {
    for (let m = this.#port.tryReceive(); m !== undefined; m = this.#port.tryReceive()) {
      const conn = this.#open(m);
      if (conn) return conn;
    }
    return undefined;
  }

  async acceptAsync(options?: WaitOptions): Promise<Connection<T>> {
    const { signal } = checkWaitOptions(options);
    const deadline = deadlineOf(options?.timeout);
    for (;;) {
      const conn = this.#open(await this.#port.receiveAsync({ timeout: remaining(deadline) < 0 ? undefined : remaining(deadline), signal }));
      if (conn) return conn;
    }
  }

  /** Connections as they come, until close(). */
  async *[Symbol.asyncIterator](): AsyncGenerator<Connection<T>> {
    for (;;) {
      try { yield await this.acceptAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  /** Stop listening: the name is removed; clients connecting later get NotFoundError. */
  close(): void {
    if (!this.#port.disposed) this.#port.remove();
  }

  [Symbol.dispose](): void { this.close(); }

  /** Open a request's channels and acknowledge it; undefined if the client died meanwhile. */
  #open(m: PortMessage<Hello>): Connection<T> | undefined {
    let c2s: Channel<T>, s2c: Channel<T>;
    try {
      c2s = this.#host.open<Channel<T>>(m.value.c2s);
      s2c = this.#host.open<Channel<T>>(m.value.s2c);
    } catch {
      try { m.ack(); } catch { /* its sender is gone */ }
      return undefined;
    }
    c2s.codec = this.#codec;
    s2c.codec = this.#codec;
    c2s.registerAs('receiver');
    s2c.registerAs('sender');
    m.ack();
    return new Connection<T>(s2c, c2s, m.sender);
  }
}

/** listen(): take the name's port, or claim it from a dead server. */
export function listenOn<T>(name: string, port: Port<Hello>, host: ServiceHost, codec: Codec<T>): Server<T> {
  port.codec = jsonCodec as unknown as Codec<Hello>;
  if (!port.isOwner) {
    try { port.claim(); } catch (e) {
      port.dispose();
      if (e instanceof AlreadyExistsError) throw new AlreadyExistsError(`service "${name}": thread ${port.owner} is listening`, Status.EXISTS);
      throw e;
    }
  }
  return new Server<T>(name, port, host, codec);
}

/** connect(): two channels, sent to the server, accepted before this returns. */
export function connectTo<T>(name: string, port: Port<Hello>, host: ServiceHost, codec: Codec<T>, options: ConnectOptions): Connection<T> {
  const [c2s, s2c, hello] = request(port, host, codec, options);
  return settle(name, port, c2s, s2c, () => port.deliver(hello, { confirm: 'processed', timeout: options.timeout }).receiver);
}

export async function connectToAsync<T>(name: string, port: Port<Hello>, host: ServiceHost, codec: Codec<T>, options: ConnectOptions & WaitOptions): Promise<Connection<T>> {
  const [c2s, s2c, hello] = request(port, host, codec, options);
  let receiver = 0;
  try {
    receiver = (await port.deliverAsync(hello, { confirm: 'processed', timeout: options.timeout, signal: options.signal })).receiver;
  } catch (e) { return settle(name, port, c2s, s2c, () => { throw e; }); }
  return settle(name, port, c2s, s2c, () => receiver);
}

export interface ConnectOptions { timeout?: number; capacity?: number; segment?: string }

function request<T>(port: Port<Hello>, host: ServiceHost, codec: Codec<T>, options: ConnectOptions): [Channel<T>, Channel<T>, Hello] {
  port.codec = jsonCodec as unknown as Codec<Hello>;
  const c2s = host.channel<T>(undefined, { codec, capacity: options.capacity ?? 64, segment: options.segment });
  const s2c = host.channel<T>(undefined, { codec, capacity: options.capacity ?? 64, segment: options.segment });
  c2s.registerAs('sender');
  s2c.registerAs('receiver');
  return [c2s, s2c, { c2s: c2s.toData(), s2c: s2c.toData() }];
}

/** The connection once the server accepted (accepted() gives its thread id), or the error. */
function settle<T>(name: string, port: Port<Hello>, c2s: Channel<T>, s2c: Channel<T>, accepted: () => number): Connection<T> {
  try {
    return new Connection<T>(c2s, s2c, accepted());
  } catch (e) {
    c2s.dispose();
    s2c.dispose();
    if (e instanceof DeadPeerError) throw new DeadPeerError(`service "${name}": its server died (nobody is listening)`, Status.DEAD_PEER);
    throw e;
  } finally {
    port.dispose();
  }
}
