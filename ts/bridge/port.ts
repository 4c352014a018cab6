// BridgedPort: a Mach-style port whose receivers may be in any process (core NATS).
//
// Subject `<prefix>.port.<name>`; every handle that receives joins the queue group 'port', so
// each message or call reaches one receiver among all processes (NATS picks one at random).
// A receiving handle subscribes at its first receiveAsync()/serve() and from then on takes its
// share of what is sent, buffered in the handle until received.
//  - callAsync(v): NATS request/reply. Nobody receiving (no responders) → DeadPeerError at
//    once; no reply within `timeout` → TimeoutError; `signal` aborts with its reason; the
//    connection dropping while the call is pending → DeadPeerError (it may or may not have run).
//  - sendAsync(v): a one-way message, at most once: core NATS keeps nothing for a port that has
//    no receiver (use a bridged channel for messages that must wait for one).
// Differences: no ownership (claim) and no receiveFrom: NATS does not name the sender.
//
// Local fast path (ts/bridge/local.ts): the first receiving handle of this process (this
// runtime's segment) owns a local port `<prefix>.nats.port.<name>`; its messages join the
// handle's NATS ones. A sending handle of the same process sends and calls through it, in
// shared memory, while its owner lives; otherwise, or once the port is removed (its owner's
// handle disposed), through NATS, and so does a message still queued there when it went
// (nobody had it). A call its receiver took fails as a local call does: DeadPeerError if the
// receiver dies before answering (it may or may not have run), the call's timeout and signal
// as over NATS. Other receivers of this process serve NATS only.
import { type Subscription } from '@nats-io/transport-node';
import { ClosedError, TimeoutError, type Codec, type CodecName, type PortMessage } from '../index';
import type { Bridge } from './bridge';
import { LocalPort } from './local';
import { checkName, checkSize, codecOf, errorFrom, names, waitIn, waitOptions, wouldBlock, type WaitOptions } from './naming';

/** setTimeout's largest delay: "no timeout" for a NATS request, which needs one. */
export const FOREVER = 2 ** 31 - 1;

/** A received message or call, from NATS or from the local port: what serve() handlers get. */
export interface Incoming { readonly data: Uint8Array; readonly reply?: string; respond(data: Uint8Array): unknown }

function fromLocal(m: PortMessage<Uint8Array>): Incoming {
  return { data: m.value, reply: m.owed ? 'local' : undefined, respond: (data) => { m.reply(data); return true; } };
}

export interface BridgedPortMessage<T> {
  readonly value: T;
  /** Whether the sender waits for reply() (a callAsync). */
  readonly owed: boolean;
  reply(value: T): void;
}

export class BridgedPort<T = Uint8Array> {
  readonly name: string;
  readonly label: string;
  readonly subject: string;
  codec: Codec<T>;
  readonly #bridge: Bridge;
  #sub: Subscription | undefined;
  readonly #queue: Incoming[] = [];
  readonly #waiters: { resolve(m: Incoming): void; reject(e: unknown): void }[] = [];
  readonly #forget: () => void;
  #disposed = false;
  readonly #local: LocalPort;

  constructor(bridge: Bridge, name: string, options: { codec?: CodecName | Codec<T> } = {}) {
    checkName(name);
    bridge.live(`bridge.port("${name}")`);
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged port "${name}"`;
    this.subject = names(bridge.prefix, 'port', name).subject;
    this.codec = codecOf<T>(options.codec);
    this.#local = new LocalPort(bridge.rt, `${bridge.prefix}.nats.port.${name}`);
    this.#forget = bridge.own(this);
  }

  get bridge(): Bridge { return this.#bridge; }

  #live(what: string): void {
    if (this.#disposed) throw new ClosedError(`${this.label}: ${what}: this handle is disposed`, -3);
    this.#bridge.live(`${this.label}: ${what}`);
  }

  encode(value: T): Uint8Array {
    const bytes = this.codec.encode(value);
    checkSize(bytes, Infinity, this.#bridge.maxPayload, this.label);
    return bytes;
  }

  /** A one-way message to one receiver (at most once). */
  async sendAsync(value: T): Promise<void> {
    this.#live('sendAsync()');
    const bytes = this.encode(value);
    if (await this.#local.via((p) => p.sendAsync(bytes).then(() => true)) === true) return;
    this.#bridge.nc.publish(this.subject, bytes);
  }

  /** Send and wait for the reply (see the header for the errors). */
  callAsync<R = T>(value: T, options?: WaitOptions): Promise<R> {
    return this.request(this.encode(value), options, 'callAsync()').then((data) => this.codec.decode(data) as unknown as R);
  }

  /** A raw request (the reply's bytes): through the local port if a receiver of this process has one, else NATS. */
  async request(bytes: Uint8Array, options: WaitOptions | undefined, what: string): Promise<Uint8Array> {
    this.#live(what);
    const { deadline, signal } = waitOptions(options);
    if (signal?.aborted) throw signal.reason;
    const local = await this.#local.via((p) => p.callAsync<Uint8Array>(bytes, { timeout: deadline < 0 ? undefined : Math.max(0, deadline - Date.now()), signal }));
    if (local !== undefined) return local;
    return (await this.#natsRequest(bytes, deadline, signal, what)).data;
  }

  /** A NATS request with the bridge's error mapping, failed at once when the connection drops. */
  #natsRequest(bytes: Uint8Array, deadline: number, signal: AbortSignal | undefined, what: string): Promise<{ data: Uint8Array }> {
    const timeout = deadline < 0 ? FOREVER : Math.max(1, deadline - Date.now());
    return new Promise<{ data: Uint8Array }>((resolve, reject) => {
      let settled = false;
      const done = (): boolean => { if (settled) return false; settled = true; forget(); signal?.removeEventListener('abort', onAbort); return true; };
      const onAbort = (): void => { if (done()) reject(signal!.reason); };
      const forget = this.#bridge.onDrop((e) => { if (done()) reject(e); });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#bridge.nc.request(this.subject, bytes, { timeout }).then(
        (m) => { if (done()) resolve(m); },
        (e) => {
          if (!done()) return;
          const err = errorFrom(e, `${this.label}: ${what}`);
          reject(err instanceof TimeoutError ? new TimeoutError(`${this.label}: ${what}: no reply within ${timeout} ms`, -2) : err);
        },
      );
    });
  }

  #subscribe(): void {
    if (this.#sub) return;
    const deliver = (m: Incoming): void => {
      const w = this.#waiters.shift();
      if (w) w.resolve(m); else this.#queue.push(m);
    };
    this.#sub = this.#bridge.nc.subscribe(this.subject, {
      queue: 'port',
      callback: (err, m) => {
        if (err) { for (const w of this.#waiters.splice(0)) w.reject(errorFrom(err, this.label)); return; }
        deliver(m);
      },
    });
    this.#local.receive((m) => deliver(fromLocal(m)));
  }

  /** Receive raw messages in `handler` (used by expose()), from NATS and the local port; returns a function that stops it. */
  serve(handler: (m: Incoming) => void): () => void {
    this.#live('serve()');
    const sub = this.#bridge.nc.subscribe(this.subject, { queue: 'port', callback: (err, m) => { if (!err) handler(m); } });
    this.#local.receive((m) => handler(fromLocal(m)));
    return () => { sub.unsubscribe(); this.#local.stop(); };
  }

  /** The next message sent or call made to this port. */
  async receiveAsync(options?: WaitOptions): Promise<BridgedPortMessage<T>> {
    this.#live('receiveAsync()');
    const { deadline, signal } = waitOptions(options);
    this.#subscribe();
    const m = this.#queue.shift() ?? await waitIn(this.#waiters, deadline, signal, `${this.label}: receiveAsync()`);
    const codec = this.codec;
    return { value: codec.decode(m.data), owed: !!m.reply, reply: (v: T) => { if (m.reply) m.respond(this.encode(v)); } };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BridgedPortMessage<T>> {
    for (;;) {
      try { yield await this.receiveAsync(); } catch (e) { if (e instanceof ClosedError) return; throw e; }
    }
  }

  send(): never { return wouldBlock(this.label, 'send()', 'sendAsync()'); }
  call(): never { return wouldBlock(this.label, 'call()', 'callAsync()'); }
  receive(): never { return wouldBlock(this.label, 'receive()', 'receiveAsync()'); }

  /** Stop receiving here; waiting receives get ClosedError. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#sub?.unsubscribe();
    this.#local.dispose();
    for (const w of this.#waiters.splice(0)) w.reject(new ClosedError(`${this.label}: this handle is disposed`, -3));
    this.#forget();
  }
}
