// RPC over a bridged port: expose(api, port) in any process, wrap<T>(port) in any other.
//
// A call is a NATS request on the port's subject carrying msgpack { i: id, m: method, a: args };
// the reply is the same Reply the local RPC sends (ok / err with name, message, stack and
// properties / a thrown value), and the callee runs it through the same invoke(), so
// `currentCall()` works inside an exposed function. Exposers form a queue group: each call
// runs in one of them.
//  - nobody exposes the port (no responders) → DeadPeerError, at once;
//  - no reply within the call's timeout → TimeoutError; its AbortSignal → its reason; either way
//    a cancel { cancel: id } is published on `<subject>.cancel`, which every exposer hears, and
//    the callee's `currentCall().signal` aborts;
//  - the connection dropping while a call is pending → DeadPeerError;
//  - a remote error of the library's classes comes back as that class (TimeoutError, ...).
// A request id seen again (a retried request) is run once and answered with the first reply.
import { msgpackCodec, _RpcCalls, _rpcMethods, _checkSerializable, _rpcUnpack, CallOptions, TimeoutError, type Remote, type Reply } from '../index';
import type { BridgedPort } from './port';
import { asLibraryError } from './naming';

let calls = 0;

/** Serve `api`'s methods on `port` until stop(). */
export function expose(api: object, port: BridgedPort<any>, options: { remember?: number } = {}): { stop(): void } {
  if (api === null || (typeof api !== 'object' && typeof api !== 'function')) throw new TypeError('api must be an object of functions');
  const remember = options.remember ?? 4096;
  const calls = new _RpcCalls(remember);
  const nc = port.bridge.nc;
  const cancels = nc.subscribe(`${port.subject}.cancel`, {
    callback: (err, m) => {
      if (err) return;
      try {
        calls.cancel((msgpackCodec.decode(m.data) as { cancel: string }).cancel);
      } catch { /* not a cancel */ }
    },
  });
  const stopServing = port.serve((m) => {
    let req: { i: string; m: string; a: unknown[] };
    try { req = msgpackCodec.decode(m.data) as typeof req; } catch { return; }
    if (!req || typeof req.i !== 'string' || typeof req.m !== 'string' || !Array.isArray(req.a)) return;
    const reply = calls.replyTo(api, req, 0);
    const answer = (r: Reply): void => {
      if (!m.reply) return;
      try { m.respond(msgpackCodec.encode(r)); } catch (e) {
        try { m.respond(msgpackCodec.encode({ err: { name: 'TypeError', message: `the reply cannot be sent: ${(e as Error).message}` } })); } catch { /* gone */ }
      }
    };
    if (reply instanceof Promise) void reply.then(answer); else answer(reply);
  });
  return { stop: () => { stopServing(); cancels.unsubscribe(); } };
}

/** A proxy whose methods call the api exposed on `port` (in any process) and return promises. */
export function wrap<T>(port: BridgedPort<any>, defaults: { timeout?: number } = {}): Remote<T> {
  return _rpcMethods((method) => async (...args: unknown[]): Promise<unknown> => {
    const opts = args[args.length - 1] instanceof CallOptions ? args.pop() as CallOptions : undefined;
    for (let k = 0; k < args.length; k++) _checkSerializable(args[k], () => `${method}(): argument ${k}`);
    const req = { i: `${port.bridge.id}:${++calls}`, m: method, a: args };
    const signal = opts?.signal;
    try {
      const data = await port.request(msgpackCodec.encode(req), { timeout: opts?.timeout ?? defaults.timeout, signal }, `${method}()`);
      const reply = msgpackCodec.decode(data) as Reply;
      try { return _rpcUnpack(reply); } catch (e) { throw asLibraryError(e); }
    } catch (e) {
      if (e instanceof TimeoutError || signal?.aborted) {
        try { port.bridge.nc.publish(`${port.subject}.cancel`, msgpackCodec.encode({ cancel: req.i })); } catch { /* closed */ }
      }
      throw e;
    }
  }) as Remote<T>;
}
