// A soak worker (role 'worker'): runs random steps over every object kind in slices, each
// slice ended by a barrier, checking invariants as it goes; then quiesces, drains what it
// consumes and reports. Role 'victim': takes the robust mutex (and a frame slot, a topic
// subscription, unnamed objects, a pending call) and is terminated by the driver holding them.
import { parentPort } from 'node:worker_threads';
import {
  Runtime, select, trySelect, sendCase, TimeoutError, OwnerDiedError, NotFoundError, DeadPeerError,
} from '../../dist/node/index.js';
import * as C from './common.mjs';

const rt = await Runtime.attach();
const d = rt.data;
const post = (m) => parentPort.postMessage(m);
const LONG = 30_000;           // a wait that must succeed: past it, a liveness violation
const CALL_TIMEOUT = 20;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Busy-wait a few hundred ns: widens the windows a race would need. */
function spin(n) { let x = 0; for (let i = 0; i < n; i++) x += i; return x; }

if (d.role === 'victim') await victim(); else await worker();

async function worker() {
  const me = d.index, W = d.workers, pid = me + 1;
  const R = C.rng((d.seed >>> 0) * 7919 + me * 104729 + 1);
  const short = () => (R() < 0.5 ? 0 : R.int(1, 3));
  const o = {};
  for (const name of Object.keys(C.OBJECTS)) o[name] = C.openObject(rt, name, W);
  const ctl = o.ctl.int32, data = o.data.int32, track = o.track.int32;
  const seg = rt.segment();
  const st = C.statusAt(me);

  // ---- bookkeeping ----
  const ops = {};
  const timeouts = {};
  let checks = 0, violations = 0;
  const count = (kind, n = 1) => { ops[kind] = (ops[kind] ?? 0) + n; };
  const violation = (inv, detail) => {
    violations++;
    if (violations <= 50) post({ type: 'violation', index: me, inv, detail: `worker ${me}: ${detail}` });
  };
  const ok = (cond, inv, detail) => { checks++; if (!cond) violation(inv, detail()); return cond; };
  /** A TimeoutError after a short timeout is part of the game; any other error goes up. */
  const benign = (e, kind, t) => {
    if (e instanceof TimeoutError && t < LONG) { timeouts[kind] = (timeouts[kind] ?? 0) + 1; return; }
    throw e;
  };
  let opName = 'init';
  const setOp = (name) => { opName = name; Atomics.store(ctl, st, C.OPS.indexOf(name)); Atomics.add(ctl, st + 1, 1); };

  const sent = {};                    // key stream|pid -> messages this worker sent there
  const recv = {};                    // key stream|pid -> { n, h } of what this worker received
  const lastSeen = {};                // key stream|pid -> last sequence number received here (order)
  const bump = (key) => { sent[key] = (sent[key] ?? 0) + 1; return sent[key] - 1; };
  const nextSeq = (key) => sent[key] ?? 0;

  // exactly-once while running: a window of TRACK_BITS sequence numbers per (stream, worker
  // producer), each bit toggled by the receipt of its sequence number. Receiving seq s, the bit
  // must still show lap(s) parity (else s arrived twice, or s - TRACK_BITS never did); sending
  // s, the bit must already show it (else s - TRACK_BITS was never received).
  const trackAt = (stream, p, seq) => {
    const s = C.STREAMS.indexOf(stream);
    return { word: ((s * W + (p - 1)) * C.TRACK_WORDS) + ((seq & (C.TRACK_BITS - 1)) >>> 5), bit: 1 << (seq & 31), lap: (Math.floor(seq / C.TRACK_BITS) & 1) };
  };
  const tracked = (stream, p) => p >= 1 && p <= W && C.STREAMS.includes(stream);
  const beforeSend = (stream, seq) => {
    if (seq < C.TRACK_BITS) return;
    const t = trackAt(stream, pid, seq);
    const bit = (Atomics.load(track, t.word) & t.bit) !== 0 ? 1 : 0;
    ok(bit === t.lap, 'exactly once', () => `${stream}: message ${seq - C.TRACK_BITS} of producer ${pid} was never received, ${C.TRACK_BITS} messages later`);
  };
  /** Every message consumed: intact, in per-producer order for this consumer, exactly once. */
  const consumed = (stream, bytes, exact) => {
    const m = C.decode(bytes);
    if (!ok(m.error === undefined, 'integrity', () => `${stream}: ${m.error}`)) return undefined;
    const key = `${stream}|${m.pid}`;
    const last = lastSeen[key] ?? -1;
    if (exact) ok(m.seq === last + 1, 'per-producer order (exact)', () => `${stream}: from producer ${m.pid} got seq ${m.seq} after ${last}`);
    else ok(m.seq > last, 'per-producer order', () => `${stream}: from producer ${m.pid} got seq ${m.seq} after ${last}`);
    lastSeen[key] = m.seq;
    if (tracked(stream, m.pid)) {
      const t = trackAt(stream, m.pid, m.seq);
      const old = (Atomics.xor(track, t.word, t.bit) & t.bit) !== 0 ? 1 : 0;
      ok(old === t.lap, 'exactly once', () => `${stream}: message ${m.seq} of producer ${m.pid} received twice (or message ${m.seq - C.TRACK_BITS} never)`);
    }
    C.tally(recv, key, m.seq);
    return m;
  };
  const msgLen = (max) => (R() < 0.9 ? R.int(C.HEADER, Math.min(120, max)) : R.int(C.HEADER, max));

  // ---- this worker's own port and pipe; subscriptions ----
  const myPort = rt.port(C.portName(me), C.PORT_OPTIONS);
  ok(myPort.isOwner, 'port', () => `${C.portName(me)}: its creator does not hold the receive right`);
  const myPipe = rt.pipe(C.pipeName(me), C.PIPE_OPTIONS);
  const reader = myPipe.reader();
  const subB = o.topicB.subscribe();
  const subO = o.topicO.subscribe();

  post({ type: 'ready', index: me, tid: rt.threadId });
  const go = await new Promise((r) => parentPort.once('message', r));
  const tids = go.tids;
  const others = [...Array(W).keys()].filter((j) => j !== me);
  const ports = {}, writers = {};
  for (const j of others) {
    ports[j] = rt.port(C.portName(j));
    ok(!ports[j].isOwner && ports[j].owner === tids[j], 'port', () => `${C.portName(j)}: owner ${ports[j].owner}, expected ${tids[j]}`);
    writers[j] = rt.pipe(C.pipeName(j)).writer();
  }

  // ---- serving: this worker's port and default port, at the start of every step ----
  const lastCall = {};
  const served = (where, msg) => {
    const m = C.decode(msg.value);
    if (!ok(m.error === undefined, 'integrity', () => `${where}: ${m.error}`)) return;
    if (m.pid <= W) ok(msg.sender === tids[m.pid - 1], 'port: sender id', () => `${where}: message of producer ${m.pid} says sender ${msg.sender}, not ${tids[m.pid - 1]}`);
    if (m.aux === C.TAG_CALL) {
      const key = `${where === 'port' ? 'call' : 'dcall'}:${me}|${m.pid}`;
      const last = lastCall[key] ?? -1;
      ok(m.seq > last, 'call: each call received once, in order', () => `${key}: call ${m.seq} after ${last}`);
      lastCall[key] = m.seq;
      C.tally(recv, key, m.seq);
      ok(msg.owed, 'call: a call is owed a reply', () => `${key}: call ${m.seq} carries no receipt`);
      msg.reply(C.encode(m.pid, m.seq, 24, C.TAG_REPLY | (pid << 8)));
      count(where === 'port' ? 'call-served' : 'direct-call-served');
    } else {
      consumed(`${where}:${me}`, msg.value, true);
      count(where === 'port' ? 'port-recv' : 'direct-recv');
    }
  };
  const serve = (limit) => {
    for (let i = 0; i < limit; i++) { const m = myPort.tryReceive(); if (!m) break; served('port', m); }
    for (let i = 0; i < limit; i++) { const m = rt.tryReceiveAny(); if (!m) break; served('direct', m); }
  };
  /** Await an async wait while answering this worker's callers (who would time out otherwise). */
  const serving = async (p) => {
    let settled = false;
    const quiet = p.then(() => { settled = true; }, () => { settled = true; });
    while (!settled) { serve(64); await Promise.race([quiet, sleep(1)]); }
    return p;
  };

  // ---- the steps ----
  const stripes = [o.mtx0, o.mtx1, o.spin, o.ticket];
  const stripeKind = ['mutex', 'mutex', 'spinlock', 'ticketlock'];
  const tallies = [o.tally0, o.tally1, o.tally2, o.tally3];
  const lockCounts = [0, 0, 0, 0];
  async function stepLock() {
    const j = R.int(0, 3), lock = stripes[j], kind = stripeKind[j];
    const r = R();
    let g;
    const t = r < 0.3 ? short() : LONG;
    try {
      if (r < 0.1) g = lock.tryLock();
      else if (r < 0.2 || r > 0.9) g = await lock.lockAsync({ timeout: t });
      else g = lock.lock(t);
    } catch (e) { return benign(e, kind, t); }
    if (!g) { count(`${kind}-busy`); return; }
    try {
      const tag = data[C.D_LOCK_TAG + j];
      ok(tag === 0, 'lock: mutual exclusion', () => `${kind} stripe ${j}: pid ${pid} got it while pid ${tag} holds it`);
      data[C.D_LOCK_TAG + j] = pid;
      const c = data[C.D_LOCK + j] + 1;        // a plain read-modify-write: an update is lost if exclusion fails
      data[C.D_LOCK + j] = c;
      const n = tallies[j].add(1) + 1;
      ok(c === n, 'lock: no lost update', () => `${kind} stripe ${j}: counter ${c}, but ${n} increments were made under the lock`);
      lockCounts[j]++;
      spin(R.int(0, 40));
      ok(data[C.D_LOCK_TAG + j] === pid, 'lock: mutual exclusion', () => `${kind} stripe ${j}: owner tag changed to ${data[C.D_LOCK_TAG + j]} while pid ${pid} held it`);
      data[C.D_LOCK_TAG + j] = 0;
      count(kind);
    } finally { g.release(); }
  }

  let robustCount = 0;
  async function robustLock() {
    try {
      return R() < 0.2 ? await o.robust.lockAsync({ timeout: LONG }) : o.robust.lock(LONG);
    } catch (e) {
      if (!(e instanceof OwnerDiedError)) throw e;
      const a = data[C.D_ROBUST_A], b = data[C.D_ROBUST_B];
      ok(a === b + 1, 'robust mutex: a dead owner left exactly its half transaction', () => `OwnerDiedError with A=${a} B=${b}`);
      data[C.D_ROBUST_B] = a;
      o.robust.consistent();
      o.recovered.add(1);
      count('robust-recovered');
      return e.guard;
    }
  }
  async function stepRobust() {
    const g = await robustLock();
    try {
      const a = data[C.D_ROBUST_A], b = data[C.D_ROBUST_B];
      ok(a === b, 'robust mutex: consistent', () => `locked with A=${a} B=${b}`);
      data[C.D_ROBUST_A] = a + 1;
      spin(R.int(0, 40));
      data[C.D_ROBUST_B] = b + 1;
      robustCount++;
      count('robust-mutex');
    } finally { g.release(); }
  }

  async function stepSemaphore() {
    const fair = R() < 0.4;
    const sem = fair ? o.semF : o.semW, inside = fair ? o.insideF : o.insideW, max = fair ? 2 : 3, kind = fair ? 'semaphore-fair' : 'semaphore';
    const n = R.int(1, 2);
    const r = R();
    const t = r < 0.5 ? short() : LONG;
    let g;
    try {
      if (r < 0.15) g = sem.tryAcquire(n);
      else if (r < 0.3) g = await sem.acquireAsync(n, { timeout: t });
      else g = sem.acquire(n, t);
    } catch (e) { return benign(e, kind, t); }
    if (!g) { count(`${kind}-busy`); return; }
    try {
      const now = inside.add(n) + n;
      ok(now <= max, 'semaphore: never more permits out than max', () => `${kind}: ${now} permits held at once, max ${max}`);
      const v = sem.value;
      ok(v >= 0 && v <= max - n, 'semaphore: value within [0, max]', () => `${kind}: value ${v} while this thread holds ${n} of ${max}`);
      spin(R.int(0, 40));
      inside.sub(n);
      count(kind);
    } finally { g.release(); }
    const v = sem.value;
    ok(v <= max, 'semaphore: value within [0, max]', () => `${kind}: value ${v} exceeds max ${max}`);
  }

  async function stepBuffer() {
    const mon = R() < 0.5;
    const base = mon ? C.D_MON : C.D_CVB, stream = mon ? 'mon' : 'cvb', kind = mon ? 'monitor' : 'condvar';
    const produce = R() < 0.5;
    const t = R() < 0.6 ? short() : R.int(4, 12);
    const asyncForm = mon && R() < 0.2;
    const g = mon ? (asyncForm ? await o.mon.lockAsync({ timeout: LONG }) : o.mon.lock(LONG)) : o.cvm.lock(LONG);
    try {
      const pred = produce ? () => data[base] < C.BUF_CAP : () => data[base] > 0;
      try {
        if (asyncForm) await o.mon.waitUntilAsync(pred, { timeout: t });
        else if (mon) o.mon.waitUntil(pred, t);
        else o.cv.waitUntil(o.cvm, pred, t);
      } catch (e) { return benign(e, kind, t); }
      const n = data[base], head = data[base + 1], tail = data[base + 2];
      ok(n >= 0 && n <= C.BUF_CAP && tail - head === n, `${kind}: bounded buffer consistent`, () => `count ${n} head ${head} tail ${tail}`);
      if (produce) {
        const seq = nextSeq(`${stream}|${pid}`);
        beforeSend(stream, seq);
        const at = base + 4 + 2 * (tail % C.BUF_CAP);
        data[at] = pid; data[at + 1] = seq;
        data[base + 2] = tail + 1; data[base] = n + 1;
        bump(`${stream}|${pid}`);
      } else {
        const at = base + 4 + 2 * (head % C.BUF_CAP);
        consumed(stream, C.encode(data[at], data[at + 1], C.HEADER), false);
        data[base + 1] = head + 1; data[base] = n - 1;
      }
      if (mon) o.mon.notifyAll(); else if (R() < 0.5) o.cv.notifyAll(); else o.cv.notify();
      count(kind);
    } finally { g.release(); }
  }

  let rwSeq = 0, maxReaders = 0;
  async function stepRw() {
    const write = R() < 0.3;
    const r = R();
    const t = r < 0.4 ? short() : LONG;
    let g;
    try {
      if (r < 0.1) g = write ? o.rw.tryWrite() : o.rw.tryRead();
      else if (r < 0.25) g = write ? await o.rw.writeAsync({ timeout: t }) : await o.rw.readAsync({ timeout: t });
      else g = write ? o.rw.write(t) : o.rw.read(t);
    } catch (e) { return benign(e, 'rwlock', t); }
    if (!g) { count('rwlock-busy'); return; }
    try {
      if (write) {
        const before = o.insideRw.add(1000);
        ok(before === 0, 'rwlock: a writer is alone', () => `writer entered with ${before % 1000} readers and ${Math.floor(before / 1000)} writers inside`);
        const v = (pid << 24) | (++rwSeq & 0xffffff);
        for (let i = 0; i < C.RW_CELLS; i++) { data[C.D_RW + i] = v; if ((i & 3) === 0) spin(5); }
        for (let i = 0; i < C.RW_CELLS; i++) if (!ok(data[C.D_RW + i] === v, 'rwlock: a writer is alone', () => `cell ${i} changed under the write lock`)) break;
        o.insideRw.sub(1000);
        count('rwlock-write');
      } else {
        const before = o.insideRw.add(1);
        ok(before < 1000, 'rwlock: readers never run with a writer', () => `reader entered with a writer inside (${before})`);
        maxReaders = Math.max(maxReaders, before + 1);
        const v = data[C.D_RW];
        spin(R.int(0, 20));
        for (let i = 1; i < C.RW_CELLS; i++) if (!ok(data[C.D_RW + i] === v, 'rwlock: readers see no torn write', () => `cell ${i} is ${data[C.D_RW + i]}, cell 0 is ${v}`)) break;
        o.insideRw.sub(1);
        count('rwlock-read');
      }
    } finally { g.release(); }
  }

  let tokenUses = 0;
  async function stepEvent() {
    if (R() < 0.65) {            // the auto-reset event as a token: each set() lets exactly one wait through
      const r = R();
      const t = r < 0.5 ? short() : LONG;
      let got = true;
      try {
        if (r < 0.2) got = o.evA.tryWait();
        else if (r < 0.35) await o.evA.waitAsync({ timeout: t });
        else o.evA.wait(t);
      } catch (e) { return benign(e, 'event', t); }
      if (!got) { count('event-busy'); return; }
      const h = o.evHolders.add(1);
      ok(h === 0, 'event: each set() lets exactly one wait through', () => `auto-reset event passed with ${h} other holders of its token`);
      tokenUses++;
      spin(R.int(0, 40));
      o.evHolders.sub(1);
      o.evA.set();
      count('event-auto');
    } else {                     // the manual event: its state is what the last set/reset under evmM made it
      const g = o.evmM.lock(LONG);
      try {
        const flag = data[C.D_EVM_FLAG] === 1;
        ok(o.evM.isSet === flag, 'manual event: state is the last set()/reset()', () => `isSet ${o.evM.isSet}, last call was ${flag ? 'set' : 'reset'}`);
        if (R() < 0.5) { o.evM.set(); data[C.D_EVM_FLAG] = 1; } else { o.evM.reset(); data[C.D_EVM_FLAG] = 0; }
      } finally { g.release(); }
      const t = short();
      try { o.evM.wait(t); } catch (e) { benign(e, 'event-manual', t); }
      count('event-manual');
    }
  }

  let lastTicket = -1, casOk = 0, wideCount = 0, xk = 0, xPut = 0, xGot = 0;
  const tickets = { n: 0, h: 0 };
  function stepAtomics() {
    const t = o.tickets.add(1);
    ok(t > lastTicket, 'atomic: add hands each value out once', () => `ticket ${t} after ${lastTicket}`);
    lastTicket = t;
    tickets.n++; tickets.h = (tickets.h + C.seqHash(t)) >>> 0;
    const v = o.casCount.load();
    if (o.casCount.compareExchange(v, v + 1) === v) casOk++;
    const x = ((pid << 24) | (xk++ & 0xffffff)) >>> 0;
    xPut = (xPut + C.seqHash(x)) >>> 0;
    xGot = (xGot + C.seqHash(o.xchg.exchange(x) >>> 0)) >>> 0;
    const prev = o.wide.add(0x1_0000_0001n);
    ok((prev >> 32n) === (prev & 0xffff_ffffn), 'atomic64: never torn', () => `halves ${prev >> 32n} and ${prev & 0xffff_ffffn}`);
    const now = o.wide.load();
    ok((now >> 32n) === (now & 0xffff_ffffn), 'atomic64: never torn', () => `halves ${now >> 32n} and ${now & 0xffff_ffffn}`);
    wideCount++;
    count('atomic', 4);
    count('atomic64', 2);
  }

  let snapSeq = 0, lastVersion = 0;
  const snapLast = {};
  const snapByVersion = new Map();   // the last versions read: version -> publisher and seq
  function stepSnapshot() {
    if (R() < 0.25) {
      const v = o.snap.publish(C.encode(pid, snapSeq++, R.int(C.HEADER, 400)));
      ok(v > 0, 'snapshot: publish returns a version', () => `version ${v}`);
      count('snapshot-publish');
      return;
    }
    for (let k = R.int(1, 8); k > 0; k--) {
      const r = o.snap.read();
      count('snapshot-read');
      if (!r) { ok(lastVersion === 0, 'snapshot: never empty once published', () => `read nothing after version ${lastVersion}`); continue; }
      const m = C.decode(r.value);
      if (!ok(m.error === undefined, 'snapshot: readers never see a torn value', () => `version ${r.version}: ${m.error}`)) continue;
      ok(r.version >= lastVersion, 'snapshot: versions never go backwards', () => `version ${r.version} after ${lastVersion}`);
      const seen = snapLast[m.pid];
      if (seen) {
        if (r.version === seen.version) ok(m.seq === seen.seq, 'snapshot: one version, one value', () => `version ${r.version} read as seq ${m.seq} and ${seen.seq}`);
        else if (r.version > seen.version) ok(m.seq > seen.seq, 'snapshot: a publisher\'s later version holds its later value', () => `publisher ${m.pid}: seq ${m.seq} in version ${r.version}, seq ${seen.seq} in version ${seen.version}`);
      }
      snapLast[m.pid] = { version: r.version, seq: m.seq };
      const before = snapByVersion.get(r.version);
      if (before === undefined) {
        snapByVersion.set(r.version, m.pid * 0x1000000 + m.seq);
        if (snapByVersion.size > 256) snapByVersion.delete(snapByVersion.keys().next().value);
      } else ok(before === m.pid * 0x1000000 + m.seq, 'snapshot: one version, one value', () => `version ${r.version} read as publisher ${m.pid} seq ${m.seq}, and before as publisher ${Math.floor(before / 0x1000000)} seq ${before % 0x1000000}`);
      lastVersion = Math.max(lastVersion, r.version);
    }
    if (R() < 0.1) {
      const t = short();
      o.snap.waitForChange(o.snap.version, t);
      count('snapshot-wait');
    }
  }

  // -- channels --
  const recvBuf = new Uint8Array(4096);
  /** Send one message (the next sequence number of key) in a random form; false if it was not sent. */
  async function sendOn(ch, stream, maxLen) {
    const key = `${stream}|${pid}`;
    const seq = nextSeq(key);
    beforeSend(stream, seq);
    const msg = C.encode(pid, seq, msgLen(maxLen), C.TAG_MSG);
    const r = R();
    const t = ch.rendezvous ? R.int(1, 4) : short();
    try {
      if (r < 0.4 && !ch.rendezvous) { if (!ch.trySend(msg)) return false; }
      else if (r < 0.55) await ch.sendAsync(msg, { timeout: t });
      else ch.send(msg, t);
    } catch (e) { benign(e, `channel ${stream}`, t); return false; }
    bump(key);
    return true;
  }
  async function recvOn(ch, stream, max, draining = false) {
    let n = 0;
    while (n < max) {
      const r = R();
      const t = ch.rendezvous ? R.int(1, 4) : short();
      try {
        if (r < 0.4) {
          const v = ch.tryRecv();
          if (v === undefined) break;
          consumed(stream, v, false); n++;
        } else if (r < 0.55 && !ch.rendezvous) {
          for (const v of ch.recvMany(R.int(2, 8), t)) { consumed(stream, v, false); n++; }
        } else if (r < 0.7) {
          const len = ch.recvInto(recvBuf, t);
          consumed(stream, recvBuf.slice(0, len), false); n++;
        } else if (r < 0.8) {
          consumed(stream, await ch.recvAsync({ timeout: t }), false); n++;
        } else {
          consumed(stream, ch.recv(t), false); n++;
        }
      } catch (e) {
        if (draining && e instanceof DeadPeerError) break;   // every sender died (only victims sent) and nothing is queued
        benign(e, `channel ${stream}`, t);
        break;
      }
    }
    return n;
  }
  async function stepChannel() {
    const r = R();
    if (r < 0.4) {                                   // bounded MPMC, messages up to 3000 bytes (heap blocks past 56)
      let k = R.int(1, 6);
      while (k-- > 0 && await sendOn(o.chB, 'chB', 3000)) count('channel-send');
      count('channel-recv', await recvOn(o.chB, 'chB', 16));
    } else if (r < 0.65) {                           // unbounded: sendMany in one batch
      if (o.chU.depth < 256) {
        const k = R.int(1, 8), key = `chU|${pid}`, first = nextSeq(key);
        const batch = [];
        for (let i = 0; i < k; i++) { beforeSend('chU', first + i); batch.push(C.encode(pid, first + i, msgLen(512), C.TAG_MSG)); }
        const n = o.chU.sendMany(batch);
        ok(n === k, 'channel: sendMany sends everything on an unbounded channel', () => `sent ${n} of ${k}`);
        for (let i = 0; i < n; i++) bump(key);
        count('channel-send', n);
      }
      count('channel-recv', await recvOn(o.chU, 'chU', 24));
    } else if (r < 0.8) {                            // rendezvous: timed sends withdraw, so nothing is half-delivered
      if (R() < 0.5) { if (await sendOn(o.chR, 'chR', 64)) count('channel-rendezvous'); }
      else count('channel-rendezvous', await recvOn(o.chR, 'chR', 1));
    } else {                                         // select over receive cases and a send case
      const t = short();
      const key = `chU|${pid}`, seq = nextSeq(key);
      const withSend = R() < 0.3 && o.chU.depth < 256;
      if (withSend) beforeSend('chU', seq);
      const cases = withSend ? [o.chB, sendCase(o.chU, C.encode(pid, seq, msgLen(512), C.TAG_MSG))] : [o.chB, o.chU];
      let s;
      try { s = R() < 0.3 ? trySelect(cases) : select(cases, t); } catch (e) { return benign(e, 'select', t); }
      if (!s || s.done) return;                      // a closed case is ready with done: nothing moved
      if (s.op === 'send') bump(key);
      else consumed(s.index === 0 ? 'chB' : 'chU', s.value, false);
      count('select');
    }
  }

  // -- pipes: this worker reads its own, writes records to the others' --
  let pipeAcc = new Uint8Array(0);
  const parsePipe = (chunk) => {
    const acc = new Uint8Array(pipeAcc.length + chunk.length);
    acc.set(pipeAcc); acc.set(chunk, pipeAcc.length);
    let at = 0;
    while (acc.length - at >= C.HEADER) {
      const len = new DataView(acc.buffer, at + 8, 4).getUint32(0, true);
      if (!ok(len >= C.HEADER && len <= 4096, 'pipe: writes of up to PIPE_BUF are atomic', () => `record length ${len} at stream offset ${at}: bytes of two writes interleaved`)) { at = acc.length; break; }
      if (acc.length - at < len) break;
      consumed(`pipe:${me}`, acc.slice(at, at + len), true);
      count('pipe-read');
      at += len;
    }
    pipeAcc = acc.slice(at);
  };
  const readPipe = (max) => {
    for (let i = 0; i < max; i++) {
      let chunk;
      try { chunk = reader.read(R() < 0.2 ? R.int(1, 5000) : 65536, 0); } catch (e) { benign(e, 'pipe-read', 0); break; }
      if (chunk === null) return true;               // end of file
      parsePipe(chunk);
    }
    return false;
  };
  async function stepPipe() {
    const j = R.pick(others), key = `pipe:${j}|${pid}`;
    for (let k = R.int(1, 3); k > 0; k--) {
      const r = R();
      const len = r < 0.05 ? 4096 : r < 0.1 ? R.int(600, 4096) : R.int(C.HEADER, 600);
      const msg = C.encode(pid, nextSeq(key), len, C.TAG_MSG);
      const t = short();
      try {
        if (R() < 0.2) await writers[j].writeAsync(msg, { timeout: t }); else writers[j].write(msg, t);
      } catch (e) { benign(e, 'pipe-write', t); break; }
      bump(key);
      count('pipe-write');
    }
    readPipe(16);
  }

  async function stepMq() {
    for (let k = R.int(1, 4); k > 0; k--) {
      const prio = R.int(0, 7), stream = `mq${prio}`, key = `${stream}|${pid}`, seq = nextSeq(key);
      beforeSend(stream, seq);
      const msg = C.encode(pid, seq, msgLen(256), prio);
      const r = R(), t = short();
      try {
        if (r < 0.4) { if (!o.mq.trySend(msg, prio)) break; }
        else if (r < 0.55) await o.mq.sendAsync(msg, prio, { timeout: t });
        else o.mq.send(msg, prio, t);
      } catch (e) { benign(e, 'mqueue', t); break; }
      bump(key);
      count('mqueue-send');
    }
    for (let k = 0; k < 16; k++) {
      const r = R(), t = short();
      let got;
      try {
        if (r < 0.5) got = o.mq.tryReceive();
        else if (r < 0.65) got = await o.mq.receiveAsync({ timeout: t });
        else got = o.mq.receive(t);
      } catch (e) { benign(e, 'mqueue', t); break; }
      if (!got) break;
      const m = consumed(`mq${got.priority}`, got.value, false);
      if (m) ok(m.aux === got.priority, 'mqueue: priority travels with its message', () => `sent with priority ${m.aux}, received with ${got.priority}`);
      count('mqueue-recv');
    }
  }

  async function stepPort() {
    const j = R.pick(others);
    for (let k = R.int(1, 4); k > 0; k--) {
      const key = `port:${j}|${pid}`;
      const msg = C.encode(pid, nextSeq(key), msgLen(300), C.TAG_MSG);
      const r = R(), t = short();
      try {
        if (r < 0.4) { if (!ports[j].trySend(msg)) break; }
        else if (r < 0.55) await ports[j].sendAsync(msg, { timeout: t });
        else ports[j].send(msg, t);
      } catch (e) { benign(e, 'port', t); break; }
      bump(key);
      count('port-send');
    }
    const dj = R.pick(others), dkey = `direct:${dj}|${pid}`;
    const msg = C.encode(pid, nextSeq(dkey), msgLen(200), C.TAG_MSG);
    const t = short();
    try {
      if (R() < 0.5 ? rt.trySend(tids[dj], msg) : (rt.send(tids[dj], msg, t), true)) { bump(dkey); count('direct-send'); }
    } catch (e) { benign(e, 'direct', t); }
  }

  const callsTried = {}, callsOk = {};
  async function stepCall() {
    const j = R.pick(others);
    const direct = R() < 0.3;
    const key = `${direct ? 'dcall' : 'call'}:${j}|${pid}`;
    const seq = callsTried[key] ?? 0;
    callsTried[key] = seq + 1;                       // a timed-out call may still be received: never reuse its number
    const req = C.encode(pid, seq, R.int(C.HEADER, 100), C.TAG_CALL);
    let reply;
    // A blocking caller answers nobody meanwhile: block only on a higher-numbered worker (so no
    // two wait on each other) that is not waiting itself; otherwise wait while serving.
    const busyThere = C.OPS[Atomics.load(ctl, C.statusAt(j))];
    const block = j > me && busyThere !== 'barrier' && busyThere !== 'call' && R() < 0.7;
    try {
      if (block) reply = direct ? rt.call(tids[j], req, CALL_TIMEOUT) : ports[j].call(req, CALL_TIMEOUT);
      else reply = await serving(direct ? rt.callAsync(tids[j], req, { timeout: 5 * CALL_TIMEOUT }) : ports[j].callAsync(req, { timeout: 5 * CALL_TIMEOUT }));
    } catch (e) { return benign(e, 'call', CALL_TIMEOUT); }
    const m = C.decode(reply);
    if (!ok(m.error === undefined, 'integrity', () => `reply to ${key} call ${seq}: ${m.error}`)) return;
    ok(m.aux === (C.TAG_REPLY | ((j + 1) << 8)) && m.pid === pid && m.seq === seq, 'call: the reply answers this call',
      () => `${key} call ${seq} got the reply to pid ${m.pid} call ${m.seq} from ${m.aux >>> 8}`);
    callsOk[key] = (callsOk[key] ?? 0) + 1;
    count(direct ? 'direct-call' : 'call');
  }

  let lostO = 0;
  function drainTopics(max) {
    for (let i = 0; i < max; i++) {
      let got;
      try { got = R() < 0.8 ? subB.tryReceive() : subB.receive(0); } catch (e) { benign(e, 'topic', 0); break; }
      if (!got) break;
      ok(got.lost === 0, 'topic (block): nothing is lost', () => `lost ${got.lost}`);
      const m = consumed(`topicB@${me}`, got.value, true);
      if (m) ok(got.key === m.pid, 'topic: key travels with its message', () => `published with key ${m.pid}, received with ${got.key}`);
      count('topic-recv');
    }
    for (let i = 0; i < max; i++) {
      const got = subO.tryReceive();
      if (!got) break;
      lostO += got.lost;
      consumed(`topicO@${me}`, got.value, false);
      count('topic-recv');
    }
  }
  async function stepTopic() {
    for (let k = R.int(1, 3); k > 0; k--) {
      const key = `topicB|${pid}`;
      const msg = C.encode(pid, nextSeq(key), msgLen(256), C.TAG_MSG);
      const r = R(), t = short();
      try {
        if (r < 0.4) { if (!o.topicB.tryPublish(msg, pid)) break; }
        else if (r < 0.55) await o.topicB.publishAsync(msg, { key: pid, timeout: t });
        else o.topicB.publish(msg, { key: pid, timeout: t });
      } catch (e) { benign(e, 'topic', t); break; }
      bump(key);
      count('topic-publish');
    }
    const keyO = `topicO|${pid}`;
    const okO = o.topicO.tryPublish(C.encode(pid, nextSeq(keyO), msgLen(256), C.TAG_MSG), pid);
    if (ok(okO, 'topic (overwrite): never refuses', () => 'tryPublish returned false')) { bump(keyO); count('topic-publish'); }
    drainTopics(256);
  }

  const holder = (slot) => C.D_HOLDER + slot;
  const take = (slot, what) => {
    const was = Atomics.compareExchange(data, holder(slot), 0, pid);
    ok(was === 0, 'frame pool: a slot has one holder', () => `${what} slot ${slot}, held by pid ${was}`);
  };
  const give = (slot) => {
    const was = Atomics.compareExchange(data, holder(slot), pid, 0);
    ok(was === pid, 'frame pool: a slot has one holder', () => `slot ${slot}: pid ${was} took it while pid ${pid} held it`);
  };
  function drainFrames(max) {
    for (let i = 0; i < max; i++) {
      const f = o.frames.tryNext();
      if (!f) break;
      receiveFrame(f);
    }
  }
  function receiveFrame(f) {
    take(f.slot, 'next() handed out');
    const len = new DataView(f.bytes.buffer, f.bytes.byteOffset + 8, 4).getUint32(0, true);
    const m = consumed('frames', f.bytes.slice(0, Math.min(len, f.bytes.length)), false);
    if (m) ok(f.meta && f.meta.p === m.pid && f.meta.s === m.seq, 'frame pool: meta travels with its frame', () => `frame pid ${m.pid} seq ${m.seq}, meta ${JSON.stringify(f.meta)}`);
    give(f.slot);
    o.frames.release(f);
    count('framepool-next');
  }
  async function stepFrames() {
    if (R() < 0.5) {
      const r = R(), t = short();
      let f;
      try {
        if (r < 0.5) f = o.frames.tryAcquire();
        else if (r < 0.65) f = await o.frames.acquireAsync({ timeout: t });
        else f = o.frames.acquire(t);
      } catch (e) { return benign(e, 'framepool', t); }
      if (!f) return;
      take(f.slot, 'acquire() handed out');
      if (R() < 0.1) { give(f.slot); o.frames.release(f); count('framepool-abandon'); return; }
      const key = `frames|${pid}`, seq = nextSeq(key);
      beforeSend('frames', seq);
      C.encode(pid, seq, R.int(C.HEADER, f.bytes.length), C.TAG_MSG, f.bytes);
      give(f.slot);
      o.frames.publish(f, { p: pid, s: seq });
      bump(key);
      count('framepool-publish');
    } else {
      const r = R(), t = short();
      let f;
      try {
        if (r < 0.5) f = o.frames.tryNext();
        else if (r < 0.65) f = await o.frames.nextAsync({ timeout: t });
        else f = o.frames.next(t);
      } catch (e) { return benign(e, 'framepool', t); }
      if (f) receiveFrame(f);
      drainFrames(R.int(0, 4));
    }
  }

  // -- shm: allocator blocks and named regions --
  const blocks = [];
  let blockSerial = 0, shmSerial = 0;
  const fillByte = (k, i) => (k * 7 + i * 13 + pid) & 255;
  const checkBlock = (b) => {
    const v = seg.view(b.off, b.size);
    const step = Math.max(1, b.size >>> 6);
    for (let i = 0; i < b.size; i += (i < 64 || i > b.size - 64 ? 1 : step)) {
      if (v[i] !== fillByte(b.k, i)) return `byte ${i} of a ${b.size}-byte block at ${b.off} is ${v[i]}, not ${fillByte(b.k, i)}`;
    }
    return undefined;
  };
  function freeBlock(i) {
    const b = blocks[i];
    const bad = checkBlock(b);
    ok(bad === undefined, 'shm: allocated blocks never overlap', () => bad);
    seg.free(b.off);
    blocks.splice(i, 1);
    count('alloc-free');
  }
  function stepShm() {
    if (R() < 0.8) {
      if (blocks.length < 24 && R() < 0.55) {
        const r = R();
        const size = r < 0.8 ? R.int(1, 512) : r < 0.95 ? R.int(513, 20000) : R.int(32 << 10, 100 << 10);
        const off = seg.alloc(size);
        ok(seg.usable(off) >= size, 'shm: a block holds what was asked', () => `usable ${seg.usable(off)} < ${size}`);
        const k = blockSerial++;
        const v = seg.view(off, size);
        for (let i = 0; i < size; i++) v[i] = fillByte(k, i);
        blocks.push({ off, size, k });
        count('alloc');
      } else if (blocks.length > 0) {
        freeBlock(R.int(0, blocks.length - 1));
      }
      return;
    }
    const name = `shm-${me}-${shmSerial++}`, size = R.int(1, 9000);
    const a = rt.shm(name, { size });
    a.bytes.fill(pid);
    const b = rt.shm(name);
    ok(b.offset === a.offset && b.size === size && b.bytes[size - 1] === pid, 'shm: a named region opens as itself', () => `${name}: offset ${b.offset} vs ${a.offset}, size ${b.size} vs ${size}`);
    a.remove();
    b.close();
    let gone = false;
    try { rt.shm(name).close(); } catch (e) { if (!(e instanceof NotFoundError)) throw e; gone = true; }
    ok(gone, 'shm: a removed name is gone', () => `${name} still opens after remove()`);
    count('shm-named');
  }

  const STEPS = {
    lock: stepLock, robust: stepRobust, semaphore: stepSemaphore, buffer: stepBuffer, rwlock: stepRw,
    event: stepEvent, atomics: stepAtomics, snapshot: stepSnapshot, channel: stepChannel, pipe: stepPipe,
    mqueue: stepMq, port: stepPort, call: stepCall, topic: stepTopic, frames: stepFrames, shm: stepShm,
  };
  const KINDS = d.kinds ?? C.STEP_KINDS;
  // a call waits for another thread to come round to its port: a few ms each with 8 threads on
  // 2 cores, so calls are picked less often than the rest
  const WEIGHT = { call: 0.3 };
  const weights = KINDS.map((k) => WEIGHT[k] ?? 1);
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pickKind = () => {
    let x = R() * totalWeight;
    for (let i = 0; i < KINDS.length; i++) { x -= weights[i]; if (x < 0) return KINDS[i]; }
    return KINDS[KINDS.length - 1];
  };

  // ---- the run ----
  let gen = 0;
  async function barrier(what) {
    setOp('barrier');
    Atomics.add(data, C.D_BAR_LOG + (gen & 3), 1);
    let leader;
    try {
      leader = R() < 0.1 ? o.bar.wait(LONG) : await serving(o.bar.waitAsync({ timeout: LONG }));
    } catch (e) {
      if (e instanceof TimeoutError) throw new Error(`liveness: barrier (${what}, generation ${gen}) not passed within ${LONG} ms`);
      throw e;
    }
    count('barrier');
    const arrived = Atomics.load(data, C.D_BAR_LOG + (gen & 3));
    ok(arrived === W, 'barrier: a generation is released once every party arrived', () => `generation ${gen} released with ${arrived} of ${W} arrivals`);
    const leaders = o.gen.load();
    ok(leaders === gen || leaders === gen + 1, 'barrier: one leader per generation', () => `${leaders} leaders after ${gen} generations`);
    if (leader) {
      o.gen.add(1);
      Atomics.store(data, C.D_BAR_LOG + ((gen + 2) & 3), 0);
      if (Atomics.load(ctl, C.CTL_STOP) !== 0 && Atomics.load(ctl, C.CTL_STOP_GEN) === 0) Atomics.store(ctl, C.CTL_STOP_GEN, gen + 2);
    }
    gen++;
    Atomics.store(ctl, st + 2, gen);
  }

  const busy = {};                    // ms spent per step kind (waits included)
  let lastProgress = performance.now();
  const progress = () => post({ type: 'progress', index: me, ops, checks, violations, timeouts, gen });

  try {
    await barrier('start');
    const runStart = performance.now();
    for (;;) {
      const sliceEnd = performance.now() + R.int(30, 50);   // similar lengths: the barrier waits for the longest
      do {
        serve(8);
        const kind = pickKind();
        setOp(kind);
        const t0 = performance.now();
        await STEPS[kind]();
        busy[kind] = (busy[kind] ?? 0) + performance.now() - t0;
      } while (performance.now() < sliceEnd);
      if (performance.now() - lastProgress > 1000) { lastProgress = performance.now(); progress(); }
      const b0 = performance.now();
      await barrier('slice');
      busy.barrier = (busy.barrier ?? 0) + performance.now() - b0;
      const stopGen = Atomics.load(ctl, C.CTL_STOP_GEN);
      if (stopGen !== 0 && gen >= stopGen) break;
    }

    busy.total = performance.now() - runStart;
    // quiesce: nothing more is sent; the robust mutex is recovered if the last victim died holding it
    setOp('quiesce');
    for (const j of others) writers[j].close();
    await stepRobust();
    for (let k = 0; k < 32; k++) serve(64);
    await barrier('quiesced');
    // drain: everything still queued is consumed (calls answered, so their replies are dropped)
    setOp('drain');
    serve(1 << 20);
    for (;;) { if ((await recvOn(o.chB, 'chB', 1 << 20, true)) === 0) break; }
    for (;;) { if ((await recvOn(o.chU, 'chU', 1 << 20, true)) === 0) break; }
    for (;;) {
      const got = o.mq.tryReceive();
      if (!got) break;
      consumed(`mq${got.priority}`, got.value, false);
    }
    drainTopics(1 << 20);
    drainFrames(1 << 20);
    for (const [mon, base, stream] of [[true, C.D_MON, 'mon'], [false, C.D_CVB, 'cvb']]) {
      const g = mon ? o.mon.lock(LONG) : o.cvm.lock(LONG);
      try {
        while (data[base] > 0) {
          const head = data[base + 1], at = base + 4 + 2 * (head % C.BUF_CAP);
          consumed(stream, C.encode(data[at], data[at + 1], C.HEADER), false);
          data[base + 1] = head + 1; data[base]--;
        }
      } finally { g.release(); }
    }
    const pipeDeadline = performance.now() + LONG;
    let eof = false;
    while (!eof && performance.now() < pipeDeadline) {
      let chunk;
      try { chunk = reader.read(65536, 100); } catch (e) { benign(e, 'pipe-read', 0); continue; }
      if (chunk === null) eof = true; else parsePipe(chunk);
    }
    ok(eof, 'pipe: end-of-file once every write end closed', () => `no end-of-file within ${LONG} ms`);
    ok(pipeAcc.length === 0, 'pipe: writes of up to PIPE_BUF are atomic', () => `${pipeAcc.length} bytes of a partial record at end-of-file`);
    await barrier('drained');

    setOp('report');
    while (blocks.length > 0) freeBlock(blocks.length - 1);
    subB.unsubscribe();
    subO.unsubscribe();
    reader.close();
    post({
      type: 'final', index: me, tid: rt.threadId, ops, checks, violations, timeouts, gens: gen,
      sent, recv, lockCounts, robustCount, tokenUses, tickets, casOk, xPut, xGot, wideCount,
      callsTried, callsOk, lostO, lostSeenO: subO.lost, maxReaders, busy,
    });
  } catch (e) {
    post({ type: 'fatal', index: me, op: opName, error: e?.stack ?? String(e) });
  }
}

// ---- a victim: dies holding things, and the objects must recover ----
async function victim() {
  const { k, workers: W } = d;
  const vpid = 100 + k;
  const R = C.rng((d.seed >>> 0) + k * 31337);
  const violation = (inv, detail) => post({ type: 'violation', index: `victim ${k}`, inv, detail: `victim ${k}: ${detail}` });
  const data = rt.shm('data').int32;
  const robust = C.openObject(rt, 'robust', W), recovered = C.openObject(rt, 'recovered', W);
  const frames = C.openObject(rt, 'frames', W), topicB = C.openObject(rt, 'topicB', W), chU = C.openObject(rt, 'chU', W);
  const port = rt.port('vport');                      // the driver's: it answers only after this thread died, or never
  const frame = frames.tryAcquire();                  // held when it dies: the pool takes it back
  topicB.subscribe();                                 // never read: holds publishers back until it dies
  const sentU = 3;
  for (let s = 0; s < sentU; s++) chU.send(C.encode(vpid, s, R.int(C.HEADER, 300), C.TAG_MSG), LONG);
  const anon = rt.channel(undefined, { capacity: 4 });   // unnamed: freed when it dies
  anon.send(C.encode(vpid, 0, 200, C.TAG_MSG));
  rt.mutex().lock();
  let g;
  try { g = robust.lock(LONG); } catch (e) {
    if (!(e instanceof OwnerDiedError)) throw e;
    const a = data[C.D_ROBUST_A], b = data[C.D_ROBUST_B];
    if (a !== b + 1) violation('robust mutex: a dead owner left exactly its half transaction', `OwnerDiedError with A=${a} B=${b}`);
    data[C.D_ROBUST_B] = a;
    robust.consistent();
    recovered.add(1);
    g = e.guard;
  }
  if (data[C.D_ROBUST_A] !== data[C.D_ROBUST_B]) violation('robust mutex: consistent', `locked with A=${data[C.D_ROBUST_A]} B=${data[C.D_ROBUST_B]}`);
  data[C.D_ROBUST_A]++;                               // half a transaction: B never follows
  post({ type: 'victim', k, tid: rt.threadId, sent: { [`chU|${vpid}`]: sentU }, frame: frame !== undefined, holding: g.held });
  // Blocks until terminated: the driver kills it once the call is queued, so never between two
  // core calls of the host (a kill there can lose a block the host holds, as documented).
  port.call(C.encode(vpid, 0, 40, C.TAG_CALL));
}
