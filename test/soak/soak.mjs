// The soak: `workers` threads (8 by default) mix every object kind for a given time, checking
// invariants as they go (worker.mjs); meanwhile the driver kills a victim thread holding the
// robust mutex (and a frame, a topic subscription, unnamed objects, a pending call) every few
// hundred ms, and checks that this thread can still create, open, use and remove objects of
// every kind. At the end every object is removed and closed, and the segment allocator must
// hold exactly what it held before, plus what the thread slots used keep.
//
//   node test/soak/soak.mjs --minutes 10 [--workers 8] [--seed N] [--quiet]
//
// Prints ops per kind, invariant checks, violations and memory; exits 1 on a violation or a leak.
import { pathToFileURL } from 'node:url';
import { Runtime, KindMismatchError, NotFoundError } from '../../dist/node/index.js';
import * as C from './common.mjs';

/** What a thread slot keeps once its thread died: its scratch block (4 KiB) and default port (test/helpers.ts). */
const KEPT_PER_THREAD = 4096 + 64;
const KEPT_BLOCKS_PER_THREAD = 2;
const WORKER_URL = new URL('./worker.mjs', import.meta.url);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** p, or `fallback` after ms; the timer does not outlive the race (it would keep the process up). */
async function raceTimeout(p, ms, fallback) {
  let timer;
  try { return await Promise.race([p, new Promise((r) => { timer = setTimeout(() => r(fallback), ms); })]); } finally { clearTimeout(timer); }
}

/**
 * Run the soak. Resolves with its figures and violations (never rejects for a violation: the
 * caller decides). options: seconds, workers, seed, log (a line printer), progressEvery (s).
 */
export async function runSoak(options = {}) {
  const seconds = options.seconds ?? 20;
  const W = options.workers ?? 8;
  const seed = (options.seed ?? Date.now()) >>> 0;
  const log = options.log ?? (() => {});
  const victimEvery = options.victimEveryMs ?? 400;
  const probeEvery = options.probeEveryMs ?? 250;
  const progressEvery = (options.progressEvery ?? 30) * 1000;
  const stallMs = options.stallMs ?? 60_000;
  const finishMs = options.finishMs ?? 120_000;
  const R = C.rng(seed ^ 0x5eed);
  const started = Date.now();

  const violations = [];
  let violationCount = 0, mainChecks = 0;
  const violation = (inv, detail) => {
    violationCount++;
    if (violations.length < 200) violations.push({ inv, detail });
    log(`VIOLATION [${inv}] ${detail}`);
  };
  const check = (cond, inv, detail) => { mainChecks++; if (!cond) violation(inv, typeof detail === 'function' ? detail() : detail); return cond; };

  // ---- the segment, its baseline, the objects ----
  const rt = await Runtime.create({ size: 32 << 20, maxSize: 1024 << 20, module: options.module });
  const seg = rt.segment();
  seg.staging();                 // this thread's staging block is made on first use and kept: make it before the baseline
  const baseline = seg.stats();
  const o = {};
  for (const name of Object.keys(C.OBJECTS)) o[name] = C.openObject(rt, name, W);
  const ctl = o.ctl.int32, data = o.data.int32;
  log(`soak: ${W} workers for ${seconds} s, seed ${seed}; segment "${seg.name}" ${baseline.size >> 20} MiB; baseline ${baseline.bytesInUse} bytes in ${baseline.blocksInUse} blocks`);

  // ---- failure handling: the first fatal error or stall aborts the run ----
  let abortReason = null;
  let abortNow;
  const aborted = new Promise((r) => { abortNow = r; });
  const abort = (why) => { if (abortReason === null) { abortReason = why; abortNow(); } };
  /** Wait for p, unless the run aborts or `ms` pass (then: the deadline's violation, and abort). */
  async function within(p, ms, what) {
    let timer;
    const deadline = new Promise((r) => { timer = setTimeout(() => r('deadline'), ms); });
    const got = await Promise.race([p.then(() => 'done'), aborted.then(() => 'aborted'), deadline]);
    clearTimeout(timer);
    if (got === 'deadline') { violation('deadline', `${what}: not done within ${ms / 1000} s; ${statusLine()}`); abort(`deadline: ${what}`); }
    return got === 'done';
  }

  // ---- workers ----
  const workers = [];
  const slots = new Set();                  // thread-table slots used by workers and victims
  const victimSent = {};
  let victimsHolding = 0, victimsKilled = 0;
  const vport = rt.port('vport', { backlog: 1 << 16 });   // the victims call it; this thread holds the receive right
  for (let i = 0; i < W; i++) {
    const w = { index: i, tid: 0, final: null, progress: null, beat: -1, beatAt: Date.now() };
    w.ready = new Promise((r) => { w.onReady = r; });
    w.done = new Promise((r) => { w.onFinal = r; });
    w.worker = rt.spawn(WORKER_URL, { name: `soak-${i}`, data: { role: 'worker', index: i, workers: W, seed, kinds: options.kinds } });
    w.exited = new Promise((r) => w.worker.once('exit', r));
    w.worker.on('message', (m) => {
      if (m.type === 'ready') { w.tid = m.tid; slots.add(m.tid & 1023); w.onReady(); }
      else if (m.type === 'progress') w.progress = m;
      else if (m.type === 'violation') violation(m.inv, m.detail);
      else if (m.type === 'final') { w.final = m; w.onFinal(); }
      else if (m.type === 'fatal') { violation(m.error.startsWith('Error: liveness') ? 'liveness' : 'worker error', `worker ${i} in ${m.op}: ${m.error}`); abort(`worker ${i} failed`); }
    });
    w.worker.on('error', (e) => { violation('worker error', `worker ${i}: ${e?.stack ?? e}`); abort(`worker ${i} crashed`); });
    w.exited.then((code) => { if (!w.final && abortReason === null) { violation('worker error', `worker ${i} exited (code ${code}) before its report`); abort(`worker ${i} exited`); } });
    workers.push(w);
  }
  const statusLine = () => workers.map((w) => {
    const at = C.statusAt(w.index);
    return `w${w.index}:${C.OPS[Atomics.load(ctl, at)] ?? '?'}@gen${Atomics.load(ctl, at + 2)}${w.final ? '(done)' : ''}`;
  }).join(' ');

  // the watchdog: a worker whose heartbeat stops for stallMs is stuck
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const w of workers) {
      if (w.final) continue;
      const beat = Atomics.load(ctl, C.statusAt(w.index) + 1);
      if (beat !== w.beat) { w.beat = beat; w.beatAt = now; continue; }
      if (now - w.beatAt > stallMs) {
        violation('liveness', `worker ${w.index} made no progress for ${Math.round((now - w.beatAt) / 1000)} s; ${statusLine()}`);
        abort(`worker ${w.index} stalled`);
        return;
      }
    }
  }, 1000);

  // ---- the main thread's own checks: create, open, use and remove objects of every kind ----
  let probes = 0, probeChecks = 0;
  async function probe(n) {
    const p = `probe-${n}`;
    const pc = (cond, what, detail) => { probeChecks++; return check(cond, 'main thread: create/open/use/remove', () => `${p} ${what}: ${typeof detail === 'function' ? detail() : detail}`); };
    const bytes = C.encode(99, n, 40, C.TAG_MSG);
    const same = (a) => a instanceof Uint8Array && a.length === bytes.length && a.every((x, i) => x === bytes[i]);
    const specs = [
      ['shm', () => rt.shm(`${p}-shm`, { size: 64 }), () => rt.shm(`${p}-shm`), (a, b) => { a.bytes[0] = 9; return b.bytes[0] === 9; }],
      ['atomic', () => rt.atomic(`${p}-at`, { initial: 5 }), () => rt.atomic(`${p}-at`), (a, b) => { a.add(2); return b.load() === 7; }],
      ['atomic64', () => rt.atomic64(`${p}-a64`), () => rt.atomic64(`${p}-a64`), (a, b) => { a.add(5n); return b.load() === 5n; }],
      ['mutex', () => rt.mutex(`${p}-mx`), () => rt.mutex(`${p}-mx`), (a, b) => { const g = a.tryLock(); const held = g !== null && b.owner === rt.threadId; g?.release(); return held && b.owner === 0; }],
      ['semaphore', () => rt.semaphore(`${p}-sem`, { initial: 1, max: 1 }), () => rt.semaphore(`${p}-sem`), (a, b) => { const g = a.tryAcquire(); const r = g !== null && b.tryAcquire() === null; g?.release(); return r && b.value === 1; }],
      ['condvar', () => rt.condVar(`${p}-cv`), () => rt.condVar(`${p}-cv`), (a, b) => { a.notifyAll(); b.notify(); return true; }],
      ['monitor', () => rt.monitor(`${p}-mon`), () => rt.monitor(`${p}-mon`), (a, b) => { const g = a.tryLock(); const r = g !== null && b.owner === rt.threadId; g?.release(); return r; }],
      ['rwlock', () => rt.rwLock(`${p}-rw`), () => rt.rwLock(`${p}-rw`), (a, b) => { const r1 = a.tryRead(), r2 = b.tryRead(); const r = r1 !== null && r2 !== null && a.tryWrite() === null; r1?.release(); r2?.release(); const w = b.tryWrite(); w?.release(); return r && w !== null; }],
      ['barrier', () => rt.barrier(`${p}-bar`, { parties: 1 }), () => rt.barrier(`${p}-bar`, { parties: 1 }), (a, b) => a.wait(1000) === true && b.wait(1000) === true],
      ['event', () => rt.event(`${p}-ev`), () => rt.event(`${p}-ev`), (a, b) => { a.set(); return b.tryWait() === true && b.tryWait() === false; }],
      ['snapshot', () => rt.snapshot(`${p}-snap`), () => rt.snapshot(`${p}-snap`), (a, b) => { a.publish({ n }); return b.read()?.value?.n === n; }],
      ['channel', () => rt.channel(`${p}-ch`, { capacity: 4 }), () => rt.channel(`${p}-ch`), (a, b) => a.trySend(bytes) && same(b.tryRecv())],
      ['pipe', () => rt.pipe(`${p}-pipe`), () => rt.pipe(`${p}-pipe`), (a, b) => {
        const w = a.writer(), r = b.reader();
        w.write(bytes, 1000);
        const got = r.read(65536, 1000);
        w.close();
        const eof = r.read(65536, 1000);
        r.close();
        return same(got) && eof === null;
      }],
      ['port', () => rt.port(`${p}-port`), () => rt.port(`${p}-port`), (a, b) => { b.trySend(bytes); const m = a.tryReceive(); return a.isOwner && m !== undefined && same(m.value) && m.sender === rt.threadId; }],
      ['topic', () => rt.topic(`${p}-topic`, { capacity: 4 }), () => rt.topic(`${p}-topic`), (a, b) => { const s = a.subscribe(); b.tryPublish(bytes, 3); const m = s.tryReceive(); s.unsubscribe(); return m !== undefined && same(m.value) && m.key === 3; }],
      ['framePool', () => rt.framePool(`${p}-fp`, { slots: 2, frameSize: 64 }), () => rt.framePool(`${p}-fp`), (a, b) => {
        const f = a.tryAcquire();
        if (!f) return false;
        f.bytes.set(bytes.subarray(0, 40));
        a.publish(f, { n });
        const g = b.tryNext();
        const r = g !== undefined && g.slot === f.slot && g.meta?.n === n && same(g.bytes.slice(0, 40));
        if (g) b.release(g);
        return r;
      }],
      ['once', () => rt.once(`${p}-once`), () => rt.once(`${p}-once`), (a, b) => { let runs = 0; a.run(() => runs++); b.run(() => runs++); return runs === 1; }],
    ];
    const held = [];
    try {
      for (const [kind, create, reopen, use] of specs) {
        try {
          const a = create();
          held.push(a);
          const b = reopen();
          held.push(b);
          pc(a.offset === b.offset && a.serial === b.serial, `${kind}: opened by name`, `offset ${b.offset} serial ${b.serial}, created at ${a.offset} serial ${a.serial}`);
          pc(use(a, b), `${kind}: used through both handles`, 'wrong result');
        } catch (e) { pc(false, kind, e?.stack ?? e); }
      }
      let mismatch = false;
      try { rt.mutex(`${p}-shm`).close(); } catch (e) { mismatch = e instanceof KindMismatchError; }
      pc(mismatch, 'kind check', 'opening a shm name as a mutex did not fail with KindMismatchError');
      // a message queue's notification (mq_notify), fired once on the empty → non-empty edge
      const q = rt.messageQueue(`${p}-mq`, { maxMessages: 4, maxMessageSize: 64 });
      held.push(q);
      const fired = new Promise((r) => q.notify(() => r(true)));
      const q2 = rt.messageQueue(`${p}-mq`);
      held.push(q2);
      q2.trySend(bytes, 3);
      const notified = await raceTimeout(fired, 10_000, false);
      pc(notified, 'mqueue: notify', 'no notification within 10 s');
      const got = q.tryReceive();
      pc(got !== undefined && got.priority === 3 && same(got.value), 'mqueue: send/receive', () => JSON.stringify(got?.priority));
      // the soak's own objects open by name as themselves
      for (const name of ['mtx0', 'chB', 'topicB', 'frames', 'snap', 'mq']) {
        const h = C.openObject(rt, name, W);
        pc(h.offset === o[name].offset, `${name}: reopened`, `offset ${h.offset}, not ${o[name].offset}`);
        h.dispose();
      }
    } finally {
      for (const h of held) { try { if (h.alive) h.remove(); } catch (e) { pc(false, `remove ${h.label}`, e?.stack ?? e); } h.dispose(); }
    }
    const left = rt.list().filter((x) => x.name?.startsWith(`${p}-`));
    pc(left.length === 0, 'removed', () => `still listed: ${left.map((x) => x.name).join(', ')}`);
    let gone = false;
    try { rt.shm(`${p}-shm`).close(); } catch (e) { gone = e instanceof NotFoundError; }
    pc(gone, 'removed name', 'a removed shm name still opens');
    probes++;
  }
  let probing = Promise.resolve();
  let stopProbes = false;
  const probeTimer = setInterval(() => {
    if (stopProbes) return;
    probing = probing.then(() => probe(probes)).catch((e) => violation('main thread: create/open/use/remove', e?.stack ?? String(e)));
  }, probeEvery);

  // ---- victims: each takes the robust mutex (and more) and is terminated holding it ----
  let stopVictims = false, currentVictim;
  async function victims() {
    for (let k = 0; !stopVictims && abortReason === null; k++) {
      await sleep(R.int(victimEvery >> 1, victimEvery + (victimEvery >> 1)));
      if (stopVictims || abortReason !== null) break;
      const queued = vport.depth;
      const w = rt.spawn(WORKER_URL, { name: `victim-${k}`, data: { role: 'victim', k, workers: W, seed } });
      currentVictim = w;
      const exited = new Promise((r) => w.once('exit', r));
      let report = null;
      const reported = new Promise((r) => w.on('message', (m) => {
        if (m.type === 'violation') violation(m.inv, m.detail);
        else if (m.type === 'victim') { report = m; r(); }
      }));
      w.on('error', (e) => violation('worker error', `victim ${k}: ${e?.stack ?? e}`));
      await raceTimeout(Promise.race([reported, exited]), 60_000);
      let request;
      if (report) {
        slots.add(report.tid & 1023);
        for (const [key, n] of Object.entries(report.sent)) victimSent[key] = (victimSent[key] ?? 0) + n;
        if (report.holding) victimsHolding++;
        // its call queued: it waits for the reply from now on (or is about to), so a kill cuts nothing in two
        const queuedBy = Date.now() + 30_000;
        while (vport.depth === queued && Date.now() < queuedBy) await sleep(1);
        check(vport.depth === queued + 1, 'liveness', () => `victim ${k}: its call was not queued within 30 s`);
        await sleep(R.int(0, 20));
        if (R() < 0.3) request = vport.tryReceiveFrom(report.tid);    // taken before it dies, answered after
      } else {
        violation('liveness', `victim ${k} did not take the robust mutex within 60 s (or died first); ${statusLine()}`);
      }
      await w.terminate();
      await exited;
      victimsKilled++;
      // a reply to the dead caller (or none: left queued, the request goes with vport's removal)
      if (request === undefined && report && R() < 0.6) request = vport.tryReceiveFrom(report.tid);
      if (request !== undefined) request.reply(C.encode(99, k, 24, C.TAG_REPLY));
    }
  }

  let progressTimer, runTimer;
  const summary = () => {
    const ops = {};
    let checks = 0;
    for (const w of workers) {
      const m = w.final ?? w.progress;
      if (!m) continue;
      checks += m.checks;
      for (const [k, n] of Object.entries(m.ops)) ops[k] = (ops[k] ?? 0) + n;
    }
    return { ops, checks: checks + mainChecks, total: Object.values(ops).reduce((s, n) => s + n, 0) };
  };

  const result = { seconds, workers: W, seed, ok: false };
  try {
    // ---- start ----
    if (!await within(Promise.all(workers.map((w) => w.ready)), 60_000, 'workers attach')) throw new Error(abortReason);
    const tids = workers.map((w) => w.tid);
    for (const w of workers) w.worker.postMessage({ type: 'go', tids });
    const victimLoop = victims();
    progressTimer = setInterval(() => {
      const s = summary();
      log(`  ${Math.round((Date.now() - started) / 1000)} s: ${s.total} ops, ${s.checks} checks, ${violationCount} violations, ${victimsKilled} victims, ${probes} main-thread probes`);
    }, progressEvery);

    // ---- run, then stop: victims first (so that the workers' last robust step recovers the last one) ----
    await within(new Promise((r) => { runTimer = setTimeout(r, seconds * 1000); }), seconds * 1000 + 5000, 'the run');
    stopVictims = true;
    await within(victimLoop, 90_000, 'the last victim');
    Atomics.store(ctl, C.CTL_STOP, 1);
    const finished = await within(Promise.all(workers.map((w) => w.done)), finishMs, 'workers quiesce, drain and report');
    stopProbes = true;
    clearInterval(probeTimer);
    await within(probing, 30_000, 'the last main-thread probe');
    if (!finished || abortReason !== null) throw new Error(abortReason ?? 'not finished');

    // ---- final invariants ----
    const finals = workers.map((w) => w.final);
    const sum = (f) => finals.reduce((s, x) => s + f(x), 0);
    const sent = { ...victimSent };
    for (const f of finals) for (const [k, n] of Object.entries(f.sent)) sent[k] = (sent[k] ?? 0) + n;
    const recv = {};
    for (const f of finals) for (const [k, t] of Object.entries(f.recv)) { const r = recv[k] ?? (recv[k] = { n: 0, h: 0 }); r.n += t.n; r.h = (r.h + t.h) >>> 0; }
    const hashes = new Map();
    const expected = (n) => { if (!hashes.has(n)) hashes.set(n, C.expectedHash(n)); return hashes.get(n); };
    const isCall = (k) => k.startsWith('call:') || k.startsWith('dcall:');
    const isTopic = (k) => k.startsWith('topicB') || k.startsWith('topicO');
    for (const [k, n] of Object.entries(sent)) {
      if (isTopic(k)) continue;
      const r = recv[k] ?? { n: 0, h: 0 };
      check(r.n === n && r.h === expected(n), 'exactly once (end)', () => `${k}: sent ${n}, received ${r.n}${r.n === n ? ' with the wrong set of sequence numbers' : ''}`);
    }
    for (const k of Object.keys(recv)) {
      if (isCall(k) || k.includes('@')) continue;
      check(k in sent, 'exactly once (end)', () => `${k}: ${recv[k].n} received, none sent`);
    }
    for (const f of finals) {                        // topic 'block': each subscriber got every message
      for (let p = 1; p <= W; p++) {
        const n = sent[`topicB|${p}`] ?? 0, r = f.recv[`topicB@${f.index}|${p}`] ?? { n: 0, h: 0 };
        check(r.n === n && r.h === expected(n), 'topic (block): every subscriber gets every message once', () => `subscriber ${f.index}, publisher ${p}: published ${n}, received ${r.n}`);
      }
      let got = 0, published = 0;                    // topic 'overwrite': received + lost = published
      for (let p = 1; p <= W; p++) { got += f.recv[`topicO@${f.index}|${p}`]?.n ?? 0; published += sent[`topicO|${p}`] ?? 0; }
      check(got + f.lostO === published, 'topic (overwrite): received + lost = published', () => `subscriber ${f.index}: received ${got} + lost ${f.lostO} != published ${published}`);
      check(f.lostO === f.lostSeenO, 'topic (overwrite): loss reported', () => `subscriber ${f.index}: losses in messages ${f.lostO}, sub.lost ${f.lostSeenO}`);
    }
    const tried = {}, answered = {};
    for (const f of finals) {
      for (const [k, n] of Object.entries(f.callsTried)) tried[k] = (tried[k] ?? 0) + n;
      for (const [k, n] of Object.entries(f.callsOk)) answered[k] = (answered[k] ?? 0) + n;
    }
    for (const k of new Set([...Object.keys(tried), ...Object.keys(recv).filter(isCall)])) {
      const t = tried[k] ?? 0, r = recv[k]?.n ?? 0, a = answered[k] ?? 0;
      check(a <= r && r <= t, 'call: received at most once, answered only if received', () => `${k}: ${t} calls made, ${r} received, ${a} answered`);
    }
    for (let j = 0; j < 4; j++) {
      const n = sum((f) => f.lockCounts[j]);
      check(data[C.D_LOCK + j] === n && o[`tally${j}`].load() === n, 'lock: no lost update (end)', () => `stripe ${j}: counter ${data[C.D_LOCK + j]}, tally ${o[`tally${j}`].load()}, increments ${n}`);
    }
    const a = data[C.D_ROBUST_A], b = data[C.D_ROBUST_B], txns = sum((f) => f.robustCount);
    check(a === b && a === txns + victimsHolding, 'robust mutex: every transaction counted, every dead owner repaired', () => `A=${a} B=${b}, ${txns} transactions + ${victimsHolding} victims`);
    check(o.recovered.load() === victimsHolding, 'robust mutex: one OwnerDiedError per dead owner', () => `${o.recovered.load()} recoveries for ${victimsHolding} victims that died holding it`);
    check(o.semW.value === 3 && o.semF.value === 2 && o.insideW.load() === 0 && o.insideF.load() === 0, 'semaphore: every permit back', () => `weak ${o.semW.value}/3, fair ${o.semF.value}/2`);
    check(o.insideRw.load() === 0, 'rwlock: everyone left', () => `inside ${o.insideRw.load()}`);
    check(o.evA.isSet && o.evHolders.load() === 0, 'event: the token is back', () => `isSet ${o.evA.isSet}, holders ${o.evHolders.load()}`);
    const nTickets = sum((f) => f.tickets.n);
    const hTickets = finals.reduce((s, f) => (s + f.tickets.h) >>> 0, 0);
    check(o.tickets.load() === nTickets && hTickets === expected(nTickets), 'atomic: add hands each value out once (end)', () => `counter ${o.tickets.load()}, ${nTickets} adds`);
    check(o.casCount.load() === sum((f) => f.casOk), 'atomic: compareExchange', () => `counter ${o.casCount.load()}, ${sum((f) => f.casOk)} successful exchanges`);
    const put = finals.reduce((s, f) => (s + f.xPut) >>> 0, C.seqHash(0)), gotX = finals.reduce((s, f) => (s + f.xGot) >>> 0, C.seqHash(o.xchg.load() >>> 0));
    check(put === gotX, 'atomic: exchange returns each value once', 'the values put and the values returned differ');
    const wides = BigInt(sum((f) => f.wideCount));
    check(o.wide.load() === wides * 0x1_0000_0001n, 'atomic64: no lost add', () => `${o.wide.load()} after ${wides} adds`);
    const gens = finals.map((f) => f.gens);
    check(gens.every((g) => g === gens[0]) && o.gen.load() === gens[0], 'barrier: generations line up', () => `generations ${gens.join(',')}, leaders ${o.gen.load()}`);
    check(o.chB.depth === 0 && o.chU.depth === 0 && o.chR.depth === 0, 'drained: channels', () => `depths ${o.chB.depth} ${o.chU.depth} ${o.chR.depth}`);
    check(o.mq.attributes().curMessages === 0, 'drained: message queue', () => `${o.mq.attributes().curMessages} left`);
    check(data[C.D_MON] === 0 && data[C.D_CVB] === 0, 'drained: monitor and condvar buffers', () => `${data[C.D_MON]} and ${data[C.D_CVB]} items left`);
    for (let i = 0; i < W; i++) {
      const port = rt.port(C.portName(i));
      check(port.depth === 0 && port.owner === workers[i].tid, 'drained: ports', () => `${C.portName(i)}: depth ${port.depth}, owner ${port.owner}`);
      port.close();
    }
    const victimsUnanswered = vport.depth;            // their requests go with vport's removal
    const frames = [];
    for (let f = o.frames.tryAcquire(); f; f = o.frames.tryAcquire()) frames.push(f);
    check(frames.length === o.frames.slots && new Set(frames.map((f) => f.slot)).size === frames.length, 'frame pool: every slot back, once', () => `${frames.length} of ${o.frames.slots} slots free (${frames.map((f) => f.slot)})`);
    for (const f of frames) o.frames.release(f);

    // ---- remove everything; the workers die; nothing may be left ----
    const names = new Set(['vport', ...Object.keys(C.OBJECTS), ...workers.map((w) => C.portName(w.index)), ...workers.map((w) => C.pipeName(w.index))]);
    for (const x of rt.list()) {
      if (x.name === null) continue;
      check(names.has(x.name), 'leak: objects', () => `unexpected object "${x.name}" (${x.kind})`);
      rt.remove(x.name);
    }
    for (const h of [...Object.values(o), vport]) h.dispose();   // (a channel's close() would end its stream)
    await Promise.all(workers.map((w) => w.worker.terminate()));
    await within(Promise.all(workers.map((w) => w.exited)), 30_000, 'workers exit');
    const left = rt.list();
    check(left.length === 0, 'leak: objects', () => `left after removal and every thread's death: ${left.map((x) => `${x.kind} ${x.name ?? '@' + x.offset} refs ${x.refs}`).join(', ')}`);
    slots.delete(rt.threadId & 1023);
    const end = seg.stats();
    const expectBytes = baseline.bytesInUse + slots.size * KEPT_PER_THREAD;
    const expectBlocks = baseline.blocksInUse + slots.size * KEPT_BLOCKS_PER_THREAD;
    check(end.bytesInUse === expectBytes && end.blocksInUse === expectBlocks, 'leak: segment memory back to its baseline',
      () => `${end.bytesInUse} bytes in ${end.blocksInUse} blocks, expected ${expectBytes} in ${expectBlocks} (baseline ${baseline.bytesInUse} in ${baseline.blocksInUse} + ${slots.size} thread slots)`);
    result.memory = {
      baseline: { bytesInUse: baseline.bytesInUse, blocksInUse: baseline.blocksInUse },
      end: { bytesInUse: end.bytesInUse, blocksInUse: end.blocksInUse },
      threadSlots: slots.size, expected: { bytesInUse: expectBytes, blocksInUse: expectBlocks },
      segmentSize: end.size, top: end.top,
    };
    result.finals = { gens: gens[0], victimsKilled, victimsHolding, victimsUnanswered, probes, probeChecks, lostO: sum((f) => f.lostO), maxReaders: Math.max(...finals.map((f) => f.maxReaders)) };
    result.busy = {};
    for (const f of finals) for (const [k, ms] of Object.entries(f.busy)) result.busy[k] = (result.busy[k] ?? 0) + ms / W;
    result.timeouts = {};
    for (const f of finals) for (const [k, n] of Object.entries(f.timeouts)) result.timeouts[k] = (result.timeouts[k] ?? 0) + n;
  } catch (e) {
    if (abortReason === null) violation('driver', e?.stack ?? String(e));
  } finally {
    clearInterval(watchdog);
    clearInterval(probeTimer);
    clearInterval(progressTimer);
    clearTimeout(runTimer);
    stopVictims = true;
    stopProbes = true;
    await Promise.all([...workers.map((w) => w.worker.terminate()), currentVictim?.terminate()]);
  }
  const s = summary();
  Object.assign(result, {
    elapsed: (Date.now() - started) / 1000, ops: s.ops, totalOps: s.total, checks: s.checks,
    violationCount, violations, aborted: abortReason,
  });
  result.ok = violationCount === 0 && abortReason === null && result.memory !== undefined;
  rt.close();
  return result;
}

/** The report, as lines. */
export function formatReport(r) {
  const out = [];
  const fmt = (n) => n.toLocaleString('en-US');
  out.push(`soak: ${r.workers} workers, ${r.seconds} s (${r.elapsed.toFixed(1)} s with start and finish), seed ${r.seed}`);
  out.push('ops per kind:');
  for (const [k, n] of Object.entries(r.ops).sort()) out.push(`  ${k.padEnd(22)} ${fmt(n).padStart(14)}`);
  out.push(`  ${'total'.padEnd(22)} ${fmt(r.totalOps).padStart(14)}`);
  if (r.busy) out.push(`time per worker by step (s, waits included): ${Object.entries(r.busy).sort((a, b) => b[1] - a[1]).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)}`).join(', ')}`);
  if (r.timeouts) out.push(`timed-out short waits (expected): ${Object.entries(r.timeouts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (r.finals) out.push(`barrier generations ${r.finals.gens}; victims killed ${r.finals.victimsKilled} (${r.finals.victimsHolding} holding the robust mutex, each in a call: ${r.finals.victimsKilled - r.finals.victimsUnanswered} answered after its death); main-thread probes ${r.finals.probes} (${r.finals.probeChecks} checks); overwrite-topic losses ${r.finals.lostO}; most readers at once ${r.finals.maxReaders}`);
  out.push(`invariant checks: ${fmt(r.checks)}`);
  out.push(`violations: ${r.violationCount}`);
  for (const v of r.violations.slice(0, 30)) out.push(`  [${v.inv}] ${v.detail}`);
  if (r.aborted) out.push(`aborted: ${r.aborted}`);
  if (r.memory) {
    const m = r.memory;
    out.push(`memory: baseline ${m.baseline.bytesInUse} bytes in ${m.baseline.blocksInUse} blocks; end ${m.end.bytesInUse} bytes in ${m.end.blocksInUse} blocks; expected ${m.expected.bytesInUse} in ${m.expected.blocksInUse} (+ ${m.threadSlots} thread slots × ${KEPT_PER_THREAD} bytes kept); segment grew to ${m.segmentSize >> 20} MiB`);
  } else out.push('memory: not measured (the run did not finish)');
  out.push(r.ok ? 'PASS' : 'FAIL');
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const arg = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : undefined; };
  const seconds = (arg('minutes') ?? 0) * 60 + (arg('seconds') ?? 0) || 60;
  const quiet = args.includes('--quiet');
  const module = args.includes('--module') ? (await import('node:fs')).readFileSync(args[args.indexOf('--module') + 1]) : undefined;   // another build of the core
  const kinds = args.includes('--kinds') ? args[args.indexOf('--kinds') + 1].split(',') : undefined;
  const r = await runSoak({ seconds, workers: arg('workers'), seed: arg('seed'), kinds, module, victimEveryMs: arg('victim-every'), log: quiet ? undefined : (l) => console.log(l), progressEvery: arg('progress') ?? 30 });
  for (const line of formatReport(r)) console.log(line);
  process.exitCode = r.ok ? 0 : 1;
}
