// LocalPort: the shared-memory shortcut of a bridged object between the threads of one process.
//
// A local port `<prefix>.nats.<kind>.<name>` in the runtime's segment, owned by the first
// handle of this process that receives (receive()); a handle that sends finds it (target(),
// looked up again at most every LOOKUP_MS while there is none) and uses it while its owner
// lives, NATS otherwise. The owner's messages go to `deliver` from one pump; stop() removes the
// port, so senders go by NATS again: what was queued there is dropped, and its senders (told
// DeadPeerError with `received` false) send it by NATS, as nobody had it. Used by bridged
// ports (ts/bridge/port.ts) and the work queues' hand-off (ts/bridge/handoff.ts).
import { ClosedError, DeadPeerError, NotFoundError, type Port, type PortMessage, type Runtime } from '../index';

/** How often a sender without a local receiver looks for one again. */
const LOOKUP_MS = 100;

export class LocalPort {
  #target: Port<Uint8Array> | undefined;      // the local port this handle sends through
  #lookedAt = -Infinity;
  #owned: Port<Uint8Array> | undefined;       // the local port this handle receives on
  #pumps = new AbortController();              // ends the local pump

  constructor(private readonly rt: Runtime, readonly name: string) {}

  /** The local port of a receiver of this process, while its owner lives (undefined: go by NATS). */
  target(): Port<Uint8Array> | undefined {
    let p = this.#target;
    if (p === undefined) {
      const t = Date.now();
      if (t - this.#lookedAt < LOOKUP_MS) return undefined;
      this.#lookedAt = t;
      try { p = this.#target = this.rt.port(this.name, { create: false }); } catch (e) {
        if (e instanceof NotFoundError) return undefined;
        throw e;
      }
    }
    if (p.ownerDied) { this.drop(); return undefined; }
    return p;
  }

  /** Forget the target (its owner went): look again later. */
  drop(): void {
    if (this.#target !== this.#owned) this.#target?.dispose();
    this.#target = undefined;
    this.#lookedAt = Date.now();
  }

  /** Through the local port when there is one; undefined if there is none or it went away first (then: NATS). */
  async via<R>(what: (p: Port<Uint8Array>) => Promise<R>): Promise<R | undefined> {
    const p = this.target();
    if (p === undefined) return undefined;
    try { return await what(p); } catch (e) {
      // removed, or its owner dead, before anyone received it (refused at the send: `received`
      // unset; dropped from the queue: false): nothing was delivered
      if (!(e instanceof ClosedError) && !(e instanceof DeadPeerError && e.received !== true)) throw e;
      this.drop();
      return undefined;
    }
  }

  /** Receive on the local port unless another handle of this process owns it: false then. Feeds `deliver`. */
  receive(deliver: (m: PortMessage<Uint8Array>) => void): boolean {
    if (this.#owned === undefined) {
      let p: Port<Uint8Array>;
      try { p = this.rt.port(this.name); } catch { return false; }
      if (!p.isOwner && p.ownerDied) { try { p.claim(); } catch { /* another thread took it */ } }
      if (!p.isOwner) { p.dispose(); return false; }   // another thread of this process receives locally
      this.#owned = this.#target = p;
    }
    const port = this.#owned, signal = this.#pumps.signal;
    void (async () => {
      for (;;) {
        let m: PortMessage<Uint8Array>;
        try { m = await port.receiveAsync({ signal, spin: false }); } catch { return; }   // removed, or stopped
        deliver(m);
      }
    })();
    return true;
  }

  /** Stop receiving locally: the port is removed, so senders go by NATS again. */
  stop(): void {
    this.#pumps.abort();
    this.#pumps = new AbortController();
    const p = this.#owned;
    if (p === undefined) return;
    this.#owned = undefined;
    if (this.#target === p) this.#target = undefined;
    try { p.remove(); } catch { /* gone already */ }
  }

  dispose(): void {
    this.stop();
    this.drop();
  }
}
