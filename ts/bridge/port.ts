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
import { type Msg, type Subscription } from '@nats-io/transport-node';
import { ClosedError, TimeoutError, type Codec, type CodecName } from '../index';
import type { Bridge } from './bridge';
import { checkName, checkSize, codecOf, errorFrom, names, waitIn, waitOptions, wouldBlock, type WaitOptions } from './naming';

/** setTimeout's largest delay: "no timeout" for a NATS request, which needs one. */
export const FOREVER = 2 ** 31 - 1;

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
  readonly #queue: Msg[] = [];
  readonly #waiters: { resolve(m: Msg): void; reject(e: unknown): void }[] = [];
  readonly #forget: () => void;
  #disposed = false;

  constructor(bridge: Bridge, name: string, options: { codec?: CodecName | Codec<T> } = {}) {
    checkName(name);
    bridge.live(`bridge.port("${name}")`);
    this.#bridge = bridge;
    this.name = name;
    this.label = `bridged port "${name}"`;
    this.subject = names(bridge.prefix, 'port', name).subject;
    this.codec = codecOf<T>(options.codec);
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
    this.#bridge.nc.publish(this.subject, this.encode(value));
  }

  /** Send and wait for the reply (see the header for the errors). */
  callAsync<R = T>(value: T, options?: WaitOptions): Promise<R> {
    return this.request(this.encode(value), options, 'callAsync()').then((m) => this.codec.decode(m.data) as unknown as R);
  }

  /** A raw request with the bridge's error mapping, failed at once when the connection drops. */
  request(bytes: Uint8Array, options: WaitOptions | undefined, what: string): Promise<Msg> {
    try { this.#live(what); } catch (e) { return Promise.reject(e); }
    const { deadline, signal } = waitOptions(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const timeout = deadline < 0 ? FOREVER : Math.max(1, deadline - Date.now());
    return new Promise<Msg>((resolve, reject) => {
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
    this.#sub = this.#bridge.nc.subscribe(this.subject, {
      queue: 'port',
      callback: (err, m) => {
        if (err) { for (const w of this.#waiters.splice(0)) w.reject(errorFrom(err, this.label)); return; }
        const w = this.#waiters.shift();
        if (w) w.resolve(m); else this.#queue.push(m);
      },
    });
  }

  /** Receive raw messages in `handler` (used by expose()); returns a function that stops it. */
  serve(handler: (m: Msg) => void): () => void {
    this.#live('serve()');
    const sub = this.#bridge.nc.subscribe(this.subject, { queue: 'port', callback: (err, m) => { if (!err) handler(m); } });
    return () => sub.unsubscribe();
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
    for (const w of this.#waiters.splice(0)) w.reject(new ClosedError(`${this.label}: this handle is disposed`, -3));
    this.#forget();
  }
}
