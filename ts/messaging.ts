// Direct messages (every thread's default port, addressed by its thread id) and services (a
// named port where servers accept connections): rt.send(), rt.receiveAny(), rt.listen(),
// rt.connect() ... Runtime extends this class.
import { check } from './errors';
import type { IpcObject, ObjectData } from './object';
import { Kind } from './kinds';
import { ObjectFactories, openObject } from './factories';
import { Port, ThreadPort, ThreadSender, type PortMessage } from './port';
import { Server, Connection, listenOn, connectTo, connectToAsync, type ServiceHost, type ConnectOptions } from './service';
import type { DeliverOptions, Delivery } from './receipt';
import type { WaitOptions } from './wait';
import { bytesCodec, resolveCodec, type Codec, type CodecName } from './codec';

export abstract class Messaging extends ObjectFactories {
  // ---- direct messages: every thread's default port, addressed by its id ----

  /** How direct messages (send / receiveAny / call by thread id) become bytes: 'bytes' by default. */
  get messageCodec(): Codec<unknown> { return this.#messageCodec; }
  set messageCodec(codec: CodecName | Codec<unknown>) { this.#messageCodec = resolveCodec(codec); }
  #messageCodec: Codec<unknown> = bytesCodec as unknown as Codec<unknown>;
  readonly #ports = new Map<string, ThreadPort<unknown>>();

  /** This thread's default port (receive only), in the first segment or the one named. */
  defaultPort(options: { segment?: string } = {}): ThreadPort<unknown> {
    const seg = this.segment(options.segment);
    let port = this.#ports.get(seg.name);
    if (!port) {
      port = new ThreadPort<unknown>(seg, check(seg.core.port_self(), `thread ${seg.tid}'s default port`), 0, null);
      this.#ports.set(seg.name, port);
    }
    port.codec = this.#messageCodec;
    return port;
  }

  /** A sender of direct messages to thread `tid` (send, trySend, deliver, call and their async forms). */
  to<T = unknown>(tid: number, options: { segment?: string; codec?: CodecName | Codec<T> } = {}): ThreadSender<T> {
    const codec = options.codec === undefined ? this.#messageCodec as Codec<T> : resolveCodec(options.codec);
    return new ThreadSender<T>(this.segment(options.segment), tid, codec);
  }

  /** Send a direct message to thread `tid`'s default port. DeadPeerError if it is not alive. */
  send(tid: number, value: unknown, timeout?: number): void { this.to(tid).send(value, timeout); }
  trySend(tid: number, value: unknown): boolean { return this.to(tid).trySend(value); }
  sendAsync(tid: number, value: unknown, options?: WaitOptions): Promise<void> { return this.to(tid).sendAsync(value, options); }
  /** Send direct and wait for confirmation (see Port.deliver). */
  deliver(tid: number, value: unknown, options?: DeliverOptions): Delivery { return this.to(tid).deliver(value, options); }
  /** Call thread `tid`: it answers with message.reply(). */
  call<R = unknown>(tid: number, value: unknown, timeout?: number): R { return this.to(tid).call<R>(value, timeout); }
  callAsync<R = unknown>(tid: number, value: unknown, options?: WaitOptions): Promise<R> { return this.to(tid).callAsync<R>(value, options); }
  /** The next direct message to this thread, from any sender (message.sender says who). */
  receiveAny(timeout?: number): PortMessage<unknown> { return this.defaultPort().receive(timeout); }
  /** The next direct message to this thread from thread `tid` only. */
  receiveFrom(tid: number, timeout?: number): PortMessage<unknown> { return this.defaultPort().receiveFrom(tid, timeout); }
  tryReceiveAny(): PortMessage<unknown> | undefined { return this.defaultPort().tryReceive(); }
  receiveAnyAsync(options?: WaitOptions & { from?: number }): Promise<PortMessage<unknown>> { return this.defaultPort().receiveAsync(options); }

  // ---- services: a named rendezvous point ----

  readonly #host: ServiceHost = { open: <O extends IpcObject>(d: ObjectData) => this.open<O>(d), channel: (n, o) => this.channel(n, o) };

  /**
   * Serve the name: accept() its connections. The name's port is taken, or claimed from a
   * dead server (fail-over); AlreadyExistsError while a live thread listens on it.
   */
  listen<T = Uint8Array>(name: string, options: { segment?: string; codec?: CodecName | Codec<T> } = {}): Server<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    return listenOn(name, openObject(this, Kind.port, name, options, true, [65536]) as Port<never>, this.#host, codec);
  }

  /**
   * Connect to the service called `name`: returns once its server accepted, a duplex
   * connection of two channels. NotFoundError if nothing was ever served there,
   * DeadPeerError if its server died, TimeoutError if it does not accept in time.
   */
  connect<T = Uint8Array>(name: string, options: ConnectOptions & { codec?: CodecName | Codec<T> } = {}): Connection<T> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    return connectTo(name, openObject(this, Kind.port, name, options, false, []) as Port<never>, this.#host, codec, options);
  }

  connectAsync<T = Uint8Array>(name: string, options: ConnectOptions & WaitOptions & { codec?: CodecName | Codec<T> } = {}): Promise<Connection<T>> {
    const codec = resolveCodec(options.codec as CodecName | Codec<T> | undefined);
    return connectToAsync(name, openObject(this, Kind.port, name, options, false, []) as Port<never>, this.#host, codec, options);
  }
}
