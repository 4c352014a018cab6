// HandOff: the local fast path of a bridged work queue (a channel, a message queue): a message
// sent to a receiver of this process that is waiting for one never leaves shared memory.
//
// Roles, per handle:
//  - owner: the first handle of this process that receives owns a local port (LocalPort,
//    ts/bridge/local.ts). Each message that comes on it is a call from a sender of this
//    process, [the sender's last stream sequence, f64][bytes]; the owner answers TAKEN and
//    gives the bytes to one of its waiting receives if `canTake(seq)` (one waits, nothing from
//    the stream is buffered, and the stream has handed out everything up to seq: this handle
//    pulled a message as late, or saw the stream empty after it), else DECLINED. It replies
//    before it hands the message out, so a sender told DeadPeerError (the owner's thread died
//    first) knows that nobody has it.
//  - sender: send() calls the owner, if there is one; false (DECLINED, no owner, no time) means
//    "publish to the stream". A message taken so was never stored: it is exactly a message
//    pulled, acknowledged and returned, in one step, so the queue's semantics hold:
//      - order per sender: a message is handed over only once the sender's last message in the
//        stream (stored(seq)) was handed out, so it cannot overtake it (one redelivered after
//        a receiver gave it back or died comes late, as over the stream). The owner knows
//        that for what it pulled itself; for what other processes took, the sender asks the
//        stream whether its first_seq passed that message (at most every CHECK_MS);
//      - exactly once: TAKEN means one receive returned it; anything else means nobody has it.
//  - end: close()/unlink() of any handle, in any process, publish on `<prefix>.ctl.<kind>.<name>`
//    once the stream changed (ended()); every owner listens there and stops its local port,
//    so this process's senders go by the stream again and get its ClosedError. An owner
//    subscribes first, then checks that the stream is open (`isOpen`), then starts: it cannot
//    miss the notice.
// A caller sends through here only messages that need no deduplication (no msgId of their own).
// Where it stays slower than it could be (speed only: order and exactly-once hold): a sender
// whose stream messages receivers of other processes take stays on the stream while it keeps
// it busy (its last one not gone yet at each check), or while an older message of anyone's,
// taken and not acknowledged, holds first_seq back (up to ackWait). A send waits for the
// owner's event loop: an owner thread that blocks its loop with a receive pending holds the
// send (up to its timeout), where over the stream a receiver of another process could take it.
import { DeadPeerError, type PortMessage } from '../index';
import type { Subscription } from '@nats-io/transport-node';
import type { Bridge } from './bridge';
import { LocalPort } from './local';
import { left } from './naming';

const TAKEN = new Uint8Array([1]);
const DECLINED = new Uint8Array([0]);
/** How often a sender whose last stream message may still be queued asks whether it is gone. */
const CHECK_MS = 50;
/** How often a receiving handle that another handle of this process outran tries to own the port again. */
const RETRY_MS = 1000;

export interface HandOffQueue {
  /** A receive of this handle waits, nothing pulled waits to be handed out, and the stream handed out everything up to `seq` (see the header). */
  canTake(seq: number): boolean;
  /** Give `data` to that receive (called right after canTake() said yes, in the same turn). */
  take(data: Uint8Array): void;
  /** The stream still takes messages (not closed, not deleted). */
  isOpen(): Promise<boolean>;
}

export class HandOff {
  readonly #bridge: Bridge;
  readonly #stream: string;
  readonly #ctlSubject: string;
  readonly #port: LocalPort;
  readonly #queue: HandOffQueue;
  #streamSeq = 0;              // this handle's last message in the stream, until known gone (0: none)
  #checkedAt = -Infinity;
  #state: 'off' | 'starting' | 'on' | 'ended' = 'off';
  #retryAt = 0;
  #ctl: Subscription | undefined;

  constructor(bridge: Bridge, kind: string, name: string, stream: string, queue: HandOffQueue) {
    this.#bridge = bridge;
    this.#stream = stream;
    this.#ctlSubject = `${bridge.prefix}.ctl.${kind}.${name}`;
    this.#port = new LocalPort(bridge.rt, `${bridge.prefix}.nats.${kind}.${name}`);
    this.#queue = queue;
  }

  // ---- sender ----

  /** Hand `bytes` to a waiting receive of this process: true if taken, false to publish to the stream. */
  async send(bytes: Uint8Array, deadline: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#port.target() === undefined) return false;
    if (deadline >= 0 && left(deadline) < 50) return false;      // no time left for the stream after a decline
    if (this.#streamSeq > 0) await this.#streamPassed();
    const frame = new Uint8Array(8 + bytes.length);
    new DataView(frame.buffer).setFloat64(0, this.#streamSeq, true);
    frame.set(bytes, 8);
    try {
      const r = await this.#port.via((p) => p.callAsync<Uint8Array>(frame, { timeout: deadline < 0 ? undefined : left(deadline), signal }));
      return r !== undefined && r[0] === TAKEN[0];
    } catch (e) {
      if (!(e instanceof DeadPeerError)) throw e;   // a timeout or an abort: it may have been taken, as over NATS
      this.#port.drop();                             // its owner died before it answered: nobody has it
      return false;
    }
  }

  /** A message of this handle went to the stream as `seq`. */
  stored(seq: number): void { this.#streamSeq = seq; }

  /** Forget this handle's last stream message once it is gone from the stream (asked at most every CHECK_MS). */
  async #streamPassed(): Promise<void> {
    const t = Date.now();
    if (t - this.#checkedAt < CHECK_MS) return;
    this.#checkedAt = t;
    const info = await this.#bridge.jsm.streams.info(this.#stream).catch(() => undefined);
    if (info !== undefined && info.state.first_seq > this.#streamSeq) this.#streamSeq = 0;
  }

  // ---- owner ----

  /** A receive of this handle begins: own the local port if nobody of this process does (see the header). */
  receiving(): void {
    if (this.#state !== 'off' || Date.now() < this.#retryAt) return;
    this.#state = 'starting';
    this.#ctl ??= this.#bridge.nc.subscribe(this.#ctlSubject, { callback: () => this.#stop() });
    this.#queue.isOpen().then((open) => {
      if (this.#state !== 'starting') return;
      if (!open) { this.#state = 'ended'; return; }
      if (this.#port.receive(this.#onLocal)) { this.#state = 'on'; return; }
      this.#state = 'off';                          // another handle of this process owns it
      this.#retryAt = Date.now() + RETRY_MS;
    }, () => { if (this.#state === 'starting') this.#state = 'off'; });
  }

  readonly #onLocal = (m: PortMessage<Uint8Array>): void => {
    if (!m.owed || m.value.length < 8) return;
    const frame = m.value;
    const take = this.#queue.canTake(new DataView(frame.buffer, frame.byteOffset, 8).getFloat64(0, true));
    try { m.reply(take ? TAKEN : DECLINED); } catch { return; }   // its sender is gone: nobody has it
    if (take) this.#queue.take(frame.subarray(8));
  };

  #stop(): void {
    this.#state = 'ended';
    this.#port.stop();
  }

  /** The stream was closed or deleted by this handle: stop, and tell every other owner. */
  ended(): void {
    this.#stop();
    try { this.#bridge.nc.publish(this.#ctlSubject); } catch { /* the connection is closing */ }
  }

  dispose(): void {
    this.#state = 'ended';
    this.#port.dispose();
    this.#ctl?.unsubscribe();
  }
}
