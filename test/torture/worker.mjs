// A torture worker: one role of one workload (see harness.mjs). It records everything the
// checks need in the run's ledger (shared memory) as it goes, since it may be terminated at
// any instant: its phase before each step, what it attempted and committed (senders), and
// every message it received (receivers). It reports its end to the main thread.
import { parentPort } from 'node:worker_threads';
import { PHASE, CNT, mulberry32, int, makeMessage, checkMessage, frameTag, spin, seenAt } from './common.mjs';

// the library main loaded (harness.mjs: a copy of the build taken when the run began)
const { Runtime, expose, wrap, wrapSync } = await import(process.argv[2] ?? '../../dist/node/index.js');
const rt = await Runtime.attach();
const d = rt.data;
const lay = d.lay;
const L = rt.open(d.ledger).int32;
const rng = mulberry32(d.seed);
const nap = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms) => Atomics.wait(nap, 0, 0, ms);
const C = (k) => lay.counters + CNT[k];
const count = (k, n = 1) => Atomics.add(L, C(k), n);
const phase = (p) => Atomics.store(L, lay.phase + d.w, p);
const tick = () => { Atomics.add(L, lay.progress + d.w, 1); Atomics.notify(L, lay.progress + d.w); };
const report = (m) => parentPort.postMessage(m);
const errName = (e) => e?.name ?? String(e);
const windowUs = () => (rng() < 0.5 ? 0 : rng() * d.spinUs);   // time spent inside a kill window

// ---- what senders and receivers record ----

const attempt = (pid, seq) => Atomics.store(L, lay.attempted + pid, seq + 1);
const commit = (pid, seq) => { Atomics.store(L, lay.committed + pid, seq + 1); tick(); };
const lastSeq = new Map();
let received = 0;
/** A received message: intact? first time? in its producer's order? */
function record(m) {
  // the harness's self-test (d.mutate): break a receiver on purpose, the checks must notice
  received++;
  if (d.mutate === 'lose' && received >= 10 && received < 30) return;
  if (d.mutate === 'twice' && received === 10) record1(m);
  if (d.mutate === 'hang' && received === 10) Atomics.wait(nap, 0, 0);
  record1(m);
}
function record1(m) {
  const r = checkMessage(m);
  if (!r) { count('torn'); return; }
  const [pid, seq] = r;
  if (pid >= d.producers || seq >= lay.maxSeq || seq >= Atomics.load(L, lay.attempted + pid)) { count('bogus'); return; }
  if (Atomics.add(L, seenAt(lay, d.view ?? 0, pid, seq), 1) !== 0) count('dup');
  if (seq <= (lastSeq.get(pid) ?? -1)) count('order');
  lastSeq.set(pid, seq);
}
const inflight = (n) => Atomics.store(L, lay.inflight + d.w, n);
const msgLen = () => int(rng, 12, d.maxLen);

// wait for the start gate (a port's owner starts at once: the others open its port by name);
// a channel's consumers count as receivers from the start, so that a producer is told
// DeadPeerError only when every one of them has died
if (d.role === 'chConsumer') rt.channel(d.name).registerAs('receiver');
// a topic's subscribers subscribe before anyone publishes: each must then see every message
const subscription = d.role === 'subscriber' ? rt.topic(d.name).subscribe() : undefined;
Atomics.store(L, lay.phase + d.w, PHASE.idle);
report({ type: 'ready', tid: rt.threadId });
if (!d.first) while (Atomics.load(L, C('go')) === 0) Atomics.wait(L, C('go'), 0, 50);

const roles = {
  // ---- channel ----
  async chProducer() {
    const ch = rt.channel(d.name);
    const pid = d.pid;
    for (let seq = 0; seq < d.count;) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      if (mode === 'many') {
        const k = Math.min(int(rng, 2, 8), d.count - seq);
        const batch = Array.from({ length: k }, (_, i) => makeMessage(pid, seq + i, msgLen()));
        attempt(pid, seq + k - 1);
        phase(PHASE.send);
        ch.sendMany(batch);
        seq += k;
        commit(pid, seq - 1);
        continue;
      }
      attempt(pid, seq);
      if (mode === 'reserve') {
        const len = msgLen();
        phase(PHASE.reserve);
        let r;
        for (;;) {
          try { r = ch.reserve(len); break; } catch (e) { if (e.name !== 'WouldBlockError') throw e; sleep(0.05); }
        }
        phase(PHASE.write);
        makeMessage(pid, seq, len, r.bytes);    // written in place, in shared memory
        spin(windowUs());                       // reserved, written, not committed: a kill here must not publish it
        phase(PHASE.commit);
        r.commit();
      } else if (mode === 'deliver') {
        phase(PHASE.deliver);
        try { ch.deliver(makeMessage(pid, seq, msgLen()), { confirm: 'processed' }); } catch (e) {
          if (e.name !== 'DeadPeerError') throw e;   // its receiver died before ack: not committed
          seq++;
          continue;
        }
      } else {
        const m = makeMessage(pid, seq, msgLen());
        if (d.mutate === 'tear' && seq === 5) m[m.length - 1] ^= 1;
        phase(PHASE.send);
        if (mode === 'send') ch.send(m);
        else if (mode === 'async') await ch.sendAsync(m);
        else while (!ch.trySend(m)) sleep(0.05);
      }
      commit(pid, seq);
      seq++;
      phase(PHASE.idle);
    }
    return {};
  },

  async chConsumer() {
    const ch = rt.channel(d.name);
    const target = new Uint8Array(4096);
    const lengths = new Uint32Array(8);
    const ackAll = () => { if (d.acks) for (;;) { phase(PHASE.ack); try { ch.ack(); } catch { break; } } };
    for (;;) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      const batch = mode === 'many' || mode === 'packed' ? 8 : 1;
      inflight(batch);
      phase(PHASE.recv);
      let got;
      try {
        if (mode === 'recv') got = [ch.recv()];
        else if (mode === 'async') got = [await ch.recvAsync()];
        else if (mode === 'many') got = ch.recvMany(batch);
        else if (mode === 'into') { const n = ch.recvInto(target); got = [target.slice(0, n)]; }
        else if (mode === 'view') got = [ch.recvView()];   // the slot stays taken until the next receive
        else if (mode === 'packed') {
          const n = ch.recvPacked(target, lengths);
          got = [];
          for (let k = 0, at = 0; k < n; at += lengths[k++]) got.push(target.slice(at, at + lengths[k]));
        } else {
          let v;
          while ((v = ch.tryRecv()) === undefined) sleep(0.05);
          got = [v];
        }
      } catch (e) {
        if (e.name === 'ClosedError') break;
        throw e;
      }
      phase(PHASE.handle);
      for (const m of got) record(m);
      ackAll();
      inflight(0);
      tick();
    }
    return {};
  },

  // ---- message queue ----
  async mqProducer() {
    const mq = rt.messageQueue(d.name);
    const pid = d.pid;
    const prio = d.prio;
    for (let seq = 0; seq < d.count; seq++) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      const m = makeMessage(pid, seq, msgLen());
      attempt(pid, seq);
      phase(mode === 'deliver' ? PHASE.deliver : PHASE.send);
      if (mode === 'send') mq.send(m, prio);
      else if (mode === 'async') await mq.sendAsync(m, prio);
      else if (mode === 'try') { while (!mq.trySend(m, prio)) sleep(0.05); }
      else {
        try { mq.deliver(m, { confirm: 'processed', priority: prio }); } catch (e) {
          if (e.name !== 'DeadPeerError') throw e;
          continue;
        }
      }
      commit(pid, seq);
      phase(PHASE.idle);
    }
    return {};
  },

  async mqConsumer() {
    const mq = rt.messageQueue(d.name);
    for (;;) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      inflight(1);
      phase(PHASE.recv);
      let got;
      try {
        if (mode === 'receive') got = mq.receive(20);
        else if (mode === 'async') got = await mq.receiveAsync({ timeout: 20 });
        else { got = mq.tryReceive(); if (got === undefined) sleep(0.2); }
      } catch (e) { if (e.name !== 'TimeoutError') throw e; }
      if (got === undefined) {
        inflight(0);
        // the producers are finished and nothing is queued: the end
        if (Atomics.load(L, C('done')) === 1 && mq.attributes().curMessages === 0) break;
        continue;
      }
      phase(PHASE.handle);
      const r = checkMessage(got.value);
      if (r && got.priority !== 1 + r[0] % 31) count('bogus');
      record(got.value);
      if (d.acks) { phase(PHASE.ack); try { mq.ack(); } catch { /* nothing owed */ } }
      inflight(0);
      tick();
    }
    return {};
  },

  // ---- ports and direct messages ----
  async portReceiver() {
    const direct = d.direct;
    const port = direct ? rt.defaultPort() : rt.port(d.name, { backlog: d.backlog });
    report({ type: 'port', tid: rt.threadId });
    for (;;) {
      inflight(1);
      phase(PHASE.recv);
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      let m;
      if (mode === 'receive') m = port.receive();
      else if (mode === 'async') m = await port.receiveAsync();
      else while ((m = port.tryReceive()) === undefined) sleep(0.05);
      phase(PHASE.handle);
      if (m.value.length === 1) break;   // stop
      record(m.value);
      const r = checkMessage(m.value);
      if (m.owed) {
        spin(windowUs());
        phase(PHASE.reply);
        if (r && d.senderModes[r[0]].startsWith('call')) m.reply(makeMessage(r[0], r[1], 20));
        else m.ack();
      }
      inflight(0);
      tick();
    }
    return {};
  },

  async portSender() {
    const pid = d.pid;
    const to = d.direct ? rt.to(d.tid) : rt.port(d.name);
    const mode = d.mode;
    try {
      for (let seq = 0; seq < d.count; seq++) {
        const m = makeMessage(pid, seq, msgLen());
        attempt(pid, seq);
        if (mode === 'call' || mode === 'callAsync') {
          phase(PHASE.call);
          const reply = mode === 'call' ? to.call(m) : await to.callAsync(m);
          const r = checkMessage(reply);
          if (!r || r[0] !== pid || r[1] !== seq || reply.length !== 20) { count('badReply'); if (process.env.TORTURE_DEBUG) console.error('bad reply', pid, seq, mode, reply); }
        } else if (mode === 'deliver') {
          phase(PHASE.deliver);
          to.deliver(m, { confirm: 'processed' });
        } else {
          phase(PHASE.send);
          if (mode === 'send') to.send(m);
          else if (mode === 'async') await to.sendAsync(m);
          else while (!to.trySend(m)) sleep(0.05);
        }
        commit(pid, seq);
        phase(PHASE.idle);
      }
    } catch (e) {
      if (e.name === 'DeadPeerError') return { error: 'DeadPeerError' };
      throw e;
    }
    return {};
  },

  // ---- RPC ----
  async rpcCallee() {
    const port = rt.port(d.name);
    const exec = (pid, seq, payload) => {
      phase(PHASE.exec);
      if (Atomics.add(L, seenAt(lay, 0, pid, seq), 1) !== 0) count('execDup');
      spin(windowUs());
      let sum = 0;
      for (const b of payload) sum = (sum * 31 + b) >>> 0;
      tick();
      phase(PHASE.recv);
      return { pid, seq, sum };
    };
    const api = {
      work: exec,
      async workAsync(pid, seq, payload) { await new Promise((r) => setImmediate(r)); return exec(pid, seq, payload); },
    };
    phase(PHASE.recv);
    expose(api, port, { block: d.block });
    report({ type: 'port', tid: rt.threadId });
    await new Promise(() => {});   // serves until terminated
  },

  async rpcCaller() {
    const pid = d.pid;
    const port = rt.port(d.name);
    const one = (seq, api) => {
      const payload = new Uint8Array(int(rng, 0, d.maxLen)).map((_, i) => (seq * 13 + i) & 255);
      let sum = 0;
      for (const b of payload) sum = (sum * 31 + b) >>> 0;
      Atomics.store(L, lay.attempted + pid, Math.max(Atomics.load(L, lay.attempted + pid), seq + 1));
      phase(PHASE.call);
      const check = (r) => {
        if (r?.pid !== pid || r?.seq !== seq || r?.sum !== sum) count('badReply');
        Atomics.store(L, lay.ret + pid * lay.maxSeq + seq, 1);
        tick();
      };
      return [rng() < 0.5 ? 'work' : 'workAsync', [pid, seq, payload], check];
    };
    try {
      if (d.sync) {
        const api = wrapSync(port);
        for (let seq = 0; seq < d.count; seq++) {
          const [method, args, check] = one(seq);
          check(api[method](...args));
          phase(PHASE.idle);
        }
      } else {
        const api = wrap(port);
        let next = 0;
        const lane = async () => {
          while (next < d.count) {
            const [method, args, check] = one(next++);
            check(await api[method](...args));
          }
        };
        await Promise.all(Array.from({ length: d.concurrency }, lane));
      }
    } catch (e) {
      if (e.name === 'DeadPeerError') return { error: 'DeadPeerError' };
      throw e;
    }
    return {};
  },

  // ---- robust mutex and condition variable ----
  async locker() {
    const m = rt.mutex(d.name);
    const cv = rt.condVar(d.name + '.cv');
    const me = d.w + 1;
    const get = (k) => Atomics.load(L, C(k));
    const set = (k, v) => Atomics.store(L, C(k), v);
    /** The lock was taken from a dead holder: the holder recorded must be one main killed; repair. */
    const ownerDied = () => {
      count('ownerDied');
      const h = get('holder');
      if (h !== 0 && Atomics.load(L, lay.killed + h - 1) === 0) count('ownerDiedBogus');
      set('a', get('b'));
      set('inside', 0);
      set('holder', 0);
      m.consistent();
    };
    const enter = (repaired) => {
      phase(PHASE.hold);
      if (Atomics.add(L, C('inside'), 1) !== 0) count('excl');
      if (!repaired && get('a') !== get('b')) count('tornState');
      set('holder', me);
    };
    const leave = () => { set('holder', 0); Atomics.sub(L, C('inside'), 1); };
    const lock = async (mode) => {
      phase(PHASE.lock);
      try {
        if (mode === 'lock') m.lock();
        else if (mode === 'async') await m.lockAsync();
        else if (mode === 'timed') { for (;;) { try { m.lock(2); break; } catch (e) { if (e.name !== 'TimeoutError') throw e; } } }
        else while (m.tryLock() === null) sleep(0.05);
        return false;
      } catch (e) {
        if (e.name !== 'OwnerDiedError') throw e;
        ownerDied();
        return true;
      }
    };
    for (let i = 0; i < d.count; i++) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      let repaired;
      try { repaired = await lock(mode); } catch (e) {
        if (e.name === 'NotRecoverableError') { count('notRecoverable'); return { error: e.name }; }
        throw e;
      }
      enter(repaired);
      Atomics.add(L, C('a'), 1);
      spin(windowUs());                          // a kill here leaves a != b: the next locker must hear of it
      Atomics.add(L, C('b'), 1);
      if (rng() < d.waitRate) {
        // wait for someone else's pass through the lock (main keeps passing when workers are gone)
        const g0 = get('gen');
        while (get('gen') === g0) {
          leave();
          phase(PHASE.wait);
          let again = false;
          try {
            if (d.asyncWait) await cv.waitAsync(m); else cv.wait(m);
          } catch (e) {
            if (e.name !== 'OwnerDiedError') throw e;
            ownerDied();
            again = true;
          }
          enter(again);
        }
      }
      Atomics.add(L, C('gen'), 1);
      cv.notifyAll();
      leave();
      phase(PHASE.unlock);
      m.unlock();
      phase(PHASE.idle);
      tick();
    }
    return {};
  },

  // ---- topic (publish/subscribe) ----
  async publisher() {
    const topic = rt.topic(d.name);
    const pid = d.pid;
    for (let seq = 0; seq < d.count; seq++) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      const m = makeMessage(pid, seq, msgLen());
      attempt(pid, seq);
      phase(PHASE.send);
      if (mode === 'publish') topic.publish(m);
      else if (mode === 'async') await topic.publishAsync(m);
      else while (!topic.tryPublish(m)) sleep(0.05);
      commit(pid, seq);
      phase(PHASE.idle);
    }
    return {};
  },

  async subscriber() {
    const sub = subscription;
    let lost = 0;
    for (;;) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      phase(PHASE.recv);
      let got;
      try {
        if (mode === 'receive') got = sub.receive(20);
        else if (mode === 'async') got = await sub.receiveAsync({ timeout: 20 });
        else { got = sub.tryReceive(); if (got === undefined) sleep(0.2); }
      } catch (e) { if (e.name !== 'TimeoutError') throw e; }
      if (got === undefined) {
        // every publisher has finished (or died: its claimed slot is a tombstone): caught up is the end
        if (Atomics.load(L, C('done')) !== 1) continue;
        got = sub.tryReceive();
        if (got === undefined) break;
      }
      phase(PHASE.handle);
      lost += got.lost;
      record(got.value);
      tick();
    }
    return { lost, total: sub.lost };
  },

  /** Burns CPU in bursts until the producers are done: more runnable threads than cores. */
  async bystander() {
    while (Atomics.load(L, C('done')) === 0) { spin(300); sleep(0.2); }
    return {};
  },

  // ---- frame pool ----
  async fpProducer() {
    const pool = rt.framePool(d.name);
    const pid = d.pid;
    for (let seq = 0; seq < d.count; seq++) {
      attempt(pid, seq);
      phase(PHASE.acquire);
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      let f;
      if (mode === 'acquire') f = pool.acquire();
      else if (mode === 'async') f = await pool.acquireAsync();
      else while ((f = pool.tryAcquire()) === undefined) sleep(0.05);
      phase(PHASE.write);
      f.as(Uint32Array).fill(frameTag(pid, seq));
      spin(windowUs());                 // acquired and written, not published: a kill returns the slot
      phase(PHASE.publish);
      pool.publish(f, { p: pid, s: seq });
      commit(pid, seq);
      phase(PHASE.idle);
    }
    return {};
  },

  async fpConsumer() {
    const pool = rt.framePool(d.name);
    const readyNow = () => rt.list().find((o) => o.name === d.name).state.ready;
    for (;;) {
      const mode = d.modes[int(rng, 0, d.modes.length - 1)];
      inflight(1);
      phase(PHASE.next);
      let f;
      try {
        if (mode === 'next') f = pool.next(20);
        else if (mode === 'async') f = await pool.nextAsync({ timeout: 20 });
        else { f = pool.tryNext(); if (f === undefined) sleep(0.2); }
      } catch (e) { if (e.name !== 'TimeoutError') throw e; }
      if (f === undefined) {
        inflight(0);
        if (Atomics.load(L, C('done')) === 1 && readyNow() === 0) break;
        continue;
      }
      phase(PHASE.read);
      checkFrame(f);
      spin(windowUs());                 // taken, not released: a kill returns the slot (the frame is lost)
      phase(PHASE.release);
      pool.release(f);
      inflight(0);
      tick();
    }
    return {};
  },
};

/** A frame: every word its tag, and the tag the meta names; recorded like a message. */
function checkFrame(f) {
  const { p, s } = f.meta ?? {};
  const words = f.as(Uint32Array);
  const tag = frameTag(p, s);
  let ok = typeof p === 'number' && typeof s === 'number';
  for (let i = 0; ok && i < words.length; i++) if (words[i] !== tag) ok = false;
  if (!ok) { count('torn'); return; }
  if (p >= d.producers || s >= Atomics.load(L, lay.attempted + p)) { count('bogus'); return; }
  if (Atomics.add(L, seenAt(lay, 0, p, s), 1) !== 0) count('dup');
  if (s <= (lastSeq.get(p) ?? -1)) count('order');
  lastSeq.set(p, s);
}

try {
  const out = await roles[d.role]();
  phase(PHASE.done);
  report({ type: 'done', ...out });
} catch (e) {
  phase(PHASE.done);
  report({ type: 'done', error: errName(e), message: String(e?.message ?? e) + (e?.name === 'DeadPeerError' ? '' : `\n${e?.stack ?? ''}`), unexpected: true });
}
