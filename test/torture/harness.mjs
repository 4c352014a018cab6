// The seeded fault-injection harness (issue 9, "Torture suite"). One run = one seed: the
// seed chooses a workload over one object kind, the worker counts and modes, and which
// workers are terminated when (a delay in ms, or once the victim has done n operations).
// Workers record what they attempt, commit and receive in a ledger in shared memory (they
// may die at any instant); after the run the main thread checks:
//   - no survivor deadlocks: every run has a deadline, and survivors must finish (or get a
//     clear error) before it;
//   - a mutex held by a killed worker is reported to the next locker (OwnerDiedError), and
//     only such a mutex;
//   - every message committed (its send returned) before a kill arrives exactly once, in
//     per-producer order; a message of a killed producer sent after its last commit may or
//     may not arrive, but never twice or torn; a receiver killed may lose what it had taken
//     and not yet recorded (its `inflight`), and a port's owner killed loses its queue;
//   - nothing half-written becomes visible (checksums on every message and frame);
//   - a peer blocked on the dead thread gets DeadPeerError (ports, calls, RPC), promptly.
// The interleaving is the machine's: a seed reproduces the plan (workload, counts, modes,
// kill schedule), not the exact schedule of the threads.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32, int, pick, ledgerLayout, seenAt, PHASE, PHASE_NAME, CNT, checkMessage, frameTag } from './common.mjs';

// The library under test is a copy of dist/node/index.js taken when this module loads (or
// the copy named by TORTURE_LIB: run.mjs's batches share one), for main and workers alike: a
// rebuild during a long run must not pair a worker's host code with the core main compiled
// before it.
export const LIB = process.env.TORTURE_LIB ?? (() => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-ipc-torture-'));
  for (const f of ['index.js', 'index.js.map']) copyFileSync(fileURLToPath(new URL(`../../dist/node/${f}`, import.meta.url)), join(dir, f));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return pathToFileURL(join(dir, 'index.js')).href;
})();
const { Runtime } = await import(LIB);

export const WORKLOADS = ['channel', 'mqueue', 'port', 'direct', 'rpc', 'lock', 'framepool', 'topic'];
const WORKER = new URL('./worker.mjs', import.meta.url);
/** A survivor blocked on a dead peer must hear of it within this long after the kill. */
const PROMPT_MS = 3000;

const some = (rng, list, max = list.length) => {
  const out = list.filter(() => rng() < 0.5);
  if (out.length === 0) out.push(pick(rng, list));
  return out.slice(0, max);
};

// ---- plans: what each workload runs, chosen from the seed ----

export function plan(seed, scale = 1) {
  const rng = mulberry32(seed);
  const workload = pick(rng, WORKLOADS);
  const n = (lo, hi) => Math.max(4, Math.round(int(rng, lo, hi) * scale));
  const p = { workload, seed, spinUs: pick(rng, [0, 20, 200]), roles: [], kills: [] };
  const add = (role, data, extra = {}) => p.roles.push({ role, data, ...extra });
  if (workload === 'channel') {
    // one in five: SPSC, one producer and one consumer thread (and a bystander burning CPU)
    p.spsc = rng() < 0.2;
    const P = p.spsc ? 1 : int(rng, 1, 4), C = p.spsc ? 1 : int(rng, Math.max(1, 3 - P), 4);
    p.capacity = p.spsc ? pick(rng, [2, 4, 16, 64]) : pick(rng, [0, 1, 2, 4, 16, 64, Infinity]);
    p.maxLen = pick(rng, [40, 120, 512]);
    // (on a rendezvous, trySend succeeds only if a receiver takes the message at once: a
    // parked one never does, so polling with it never meets a receiver)
    const prodModes = ['send', 'async', ...(p.capacity === 0 ? [] : ['try']), 'many', 'reserve', 'deliver'];
    let acks = false;
    for (let i = 0; i < P; i++) {
      const modes = some(rng, prodModes, 3);
      acks ||= modes.includes('deliver');
      add('chProducer', { pid: i, count: n(100, 400), modes, maxLen: p.maxLen }, { producer: true });
    }
    const consModes = ['recv', 'async', 'many', 'into', 'view', 'packed', 'try'];
    for (let i = 0; i < C; i++) add('chConsumer', { modes: some(rng, consModes, 3), acks }, { consumer: true });
    // with deliveries or a rendezvous, a producer waits for a consumer: keep one alive
    p.keepConsumer = acks || p.capacity === 0;
    if (p.spsc) add('bystander', {});
  } else if (workload === 'mqueue') {
    const P = int(rng, 1, 4), C = int(rng, Math.max(1, 3 - P), 3);
    p.maxMessages = pick(rng, [1, 4, 16, 64]);
    p.maxLen = pick(rng, [40, 120, 512]);
    let acks = false;
    for (let i = 0; i < P; i++) {
      const modes = some(rng, ['send', 'async', 'try', 'deliver'], 2);
      acks ||= modes.includes('deliver');
      add('mqProducer', { pid: i, prio: 1 + i % 31, count: n(100, 400), modes, maxLen: p.maxLen }, { producer: true });
    }
    for (let i = 0; i < C; i++) add('mqConsumer', { modes: some(rng, ['receive', 'async', 'try'], 2), acks }, { consumer: true });
    p.keepConsumer = true;   // a queue has no dead-peer detection: a full one waits for a receiver
  } else if (workload === 'port' || workload === 'direct') {
    const S = int(rng, 2, 5);
    p.backlog = workload === 'port' ? pick(rng, [1, 4, 64]) : 65536;
    p.maxLen = pick(rng, [40, 120, 512]);
    const senderModes = Array.from({ length: S }, () => pick(rng, ['send', 'async', 'try', 'call', 'callAsync', 'deliver']));
    add('portReceiver', { direct: workload === 'direct', backlog: p.backlog, modes: some(rng, ['receive', 'async', 'try'], 2), senderModes, maxLen: p.maxLen }, { consumer: true, first: true, owner: true });
    for (let i = 0; i < S; i++) add('portSender', { pid: i, direct: workload === 'direct', mode: senderModes[i], count: n(100, 300), maxLen: p.maxLen }, { producer: true });
  } else if (workload === 'rpc') {
    const S = int(rng, 2, 5);
    add('rpcCallee', { block: rng() < 0.5 }, { first: true, owner: true });
    for (let i = 0; i < S; i++) add('rpcCaller', { pid: i, sync: rng() < 0.5, concurrency: int(rng, 1, 4), count: n(50, 200), maxLen: pick(rng, [8, 100, 400]) }, { producer: true });
  } else if (workload === 'lock') {
    const W = int(rng, 3, 6);
    const modes = some(rng, ['lock', 'async', 'timed', 'try'], 3);
    const waitRate = pick(rng, [0, 0.1, 0.3]);
    for (let i = 0; i < W; i++) add('locker', { count: n(100, 300), modes, waitRate, asyncWait: rng() < 0.5 });
  } else if (workload === 'topic') {
    const P = int(rng, 1, 3), S = int(rng, Math.max(1, 3 - P), 4);
    p.capacity = pick(rng, [2, 8, 64]);
    p.policy = rng() < 0.75 ? 'block' : 'overwrite';
    p.maxLen = pick(rng, [40, 120, 512]);
    for (let i = 0; i < P; i++) add('publisher', { pid: i, count: n(100, 400), modes: some(rng, ['publish', 'async', 'try'], 2), maxLen: p.maxLen }, { producer: true });
    for (let i = 0; i < S; i++) add('subscriber', { view: i, modes: some(rng, ['receive', 'async', 'try'], 2) }, { consumer: true });
    p.views = S;
  } else {
    const P = int(rng, 1, 3), C = int(rng, Math.max(1, 3 - P), 3);
    p.slots = int(rng, 1, 4);
    p.frameSize = pick(rng, [64, 1024, 8192]);
    for (let i = 0; i < P; i++) add('fpProducer', { pid: i, count: n(50, 200), modes: some(rng, ['acquire', 'async', 'try'], 2) }, { producer: true });
    for (let i = 0; i < C; i++) add('fpConsumer', { modes: some(rng, ['next', 'async', 'try'], 2) }, { consumer: true });
    p.keepConsumer = true;   // frames published and never taken hold every slot
  }
  // the kills: 1 to 3 victims, each at a delay or after some of its own operations
  const W = p.roles.length;
  const victims = [];
  const want = int(rng, 1, Math.min(3, W - 1));
  const order = p.roles.map((_, i) => i).sort(() => rng() - 0.5);
  for (const v of order) {
    if (victims.length === want) break;
    const r = p.roles[v];
    if (p.keepConsumer && r.consumer && p.roles.filter((x, i) => x.consumer && !victims.includes(i)).length === 1) continue;
    victims.push(v);
  }
  for (const v of victims) {
    const ops = p.roles[v].data.count ?? 100;   // (receivers count their receives)
    p.kills.push(rng() < 0.5 ? { victim: v, ms: rng() * pick(rng, [5, 50, 300]) } : { victim: v, ops: int(rng, 0, ops) });
  }
  p.producers = p.roles.filter((r) => r.producer).length;
  p.maxSeq = Math.max(1, ...p.roles.map((r) => r.data.count ?? 0));
  return p;
}

// ---- one run ----

/**
 * Run one seed. Returns { seed, workload, plan, kills: [{ role, phase, effective }],
 * violations: [string], ms }. `mutate` breaks the workers on purpose (the harness's self-test):
 * 'lose' (receivers drop 20 messages), 'twice' (one recorded twice), 'tear' (a producer sends
 * a message with a bad checksum), 'hang' (receivers stop).
 */
export async function runSeed(seed, { scale = 1, deadlineMs = 20_000, mutate } = {}) {
  const p = plan(seed, scale);
  const t0 = performance.now();
  const violations = [];
  const fail = (msg) => violations.push(msg);
  const rt = await Runtime.create({ size: 4 << 20, maxSize: 64 << 20 });
  const W = p.roles.length;
  const lay = ledgerLayout(W, Math.max(1, p.producers), p.maxSeq, p.views ?? 1);
  const ledger = rt.shm('ledger', { size: lay.words * 4 });
  const L = ledger.int32;
  const C = (k) => lay.counters + CNT[k];
  const name = 'obj';
  const deadline = t0 + deadlineMs;
  const workers = [];
  let finished = false;
  const kills = [];

  class Deadline extends Error {}
  const describeLive = () => workers.filter((w) => !w.ended).map((w) => `${w.role}#${w.index}(${PHASE_NAME[Atomics.load(L, lay.phase + w.index)]})`).join(', ');
  /** Await a promise, or fail the run at its deadline with who is still running. */
  const until = async (promise, what) => {
    let timer;
    const left = deadline - performance.now();
    const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Deadline()), Math.max(0, left)); });
    try { return await Promise.race([promise, timeout]); } catch (e) {
      if (e instanceof Deadline) {
        let objects = '';
        try { objects = rt.list().filter((o) => o.name.startsWith(name)).map((o) => `${o.name} ${JSON.stringify(o.state)}`).join('; '); } catch (err) { objects = String(err); }
        fail(`deadlock: ${what} not done after ${deadlineMs} ms; still running: ${describeLive() || 'none'}; ${objects}`);
      }
      throw e;
    } finally { clearTimeout(timer); }
  };

  // ---- objects ----
  let obj;
  if (p.workload === 'channel') {
    obj = rt.channel(name, { capacity: p.capacity, maxMessageSize: 512, spsc: p.spsc });
    obj.registerAs('sender');   // main closes it: receivers wait for that, not for the producers' deaths
  } else if (p.workload === 'mqueue') obj = rt.messageQueue(name, { maxMessages: p.maxMessages, maxMessageSize: 512 });
  else if (p.workload === 'lock') { obj = rt.mutex(name); rt.condVar(name + '.cv'); }
  else if (p.workload === 'framepool') obj = rt.framePool(name, { slots: p.slots, frameSize: p.frameSize });
  else if (p.workload === 'topic') obj = rt.topic(name, { capacity: p.capacity, maxMessageSize: 512, policy: p.policy });

  // ---- workers ----
  const spawn = (r, index, extra) => {
    const data = { ...r.data, ...extra, role: r.role, first: !!r.first, w: index, seed: (seed * 7919 + index * 104729) >>> 0, lay, ledger: ledger.toData(), name, producers: p.producers, spinUs: p.spinUs, mutate };
    const worker = rt.spawn(WORKER, { data, workerOptions: { argv: [LIB] } });
    const w = { ...r, index, worker, ended: false, result: undefined, endAt: 0 };
    w.ready = new Promise((resolve) => {
      const first = {};
      worker.on('message', (m) => {
        if (m.type === 'ready') first.ready = true;
        if (m.type === 'port') w.tid = m.tid;
        if ((r.first ? first.ready && w.tid : first.ready)) resolve();
        if (m.type === 'done') { w.result = m; finish(); }
      });
    });
    const finish = () => { if (!w.ended) { w.ended = true; w.endAt = performance.now(); } };
    w.end = new Promise((resolve) => {
      worker.on('message', (m) => { if (m.type === 'done') resolve(); });
      worker.once('exit', (code) => { w.exitCode = code; finish(); resolve(); });
      worker.on('error', (e) => { w.result ??= { type: 'done', error: e.name, message: e.message, unexpected: true }; });
    });
    w.ready = Promise.race([w.ready, w.end]);
    workers[index] = w;
    return w;
  };
  let ownerTid = 0;
  try {
    for (const [i, r] of p.roles.entries()) if (r.first) { const w = spawn(r, i, {}); await until(w.ready, 'start'); ownerTid = w.tid; }
    for (const [i, r] of p.roles.entries()) if (!r.first) spawn(r, i, { tid: ownerTid });
    await until(Promise.all(workers.map((w) => w.ready)), 'start');
    if (p.workload === 'port' || p.workload === 'rpc') obj = rt.port(name);

    // ---- go, and the kills ----
    const tGo = performance.now();
    Atomics.store(L, C('go'), 1);
    Atomics.notify(L, C('go'));
    const killing = p.kills.map(async (k) => {
      const w = workers[k.victim];
      if (k.ms !== undefined) await new Promise((r) => setTimeout(r, k.ms));
      else {
        const at = lay.progress + w.index;
        for (;;) {
          const v = Atomics.load(L, at);
          if (v >= k.ops || w.ended || finished) break;
          await Atomics.waitAsync(L, at, v, 20).value;
        }
      }
      if (finished || w.ended) return;
      Atomics.store(L, lay.killed + w.index, 1);   // before the death can be observed
      const t = performance.now();
      await w.worker.terminate();
      const phase = Atomics.load(L, lay.phase + w.index);
      kills.push({ role: w.role, index: w.index, phase: PHASE_NAME[phase], effective: phase !== PHASE.done, inflight: Atomics.load(L, lay.inflight + w.index), at: t - tGo, t });
    });

    // ---- the workload's end protocol ----
    const ended = (f) => Promise.all(workers.filter(f).map((w) => w.end));
    const producers = ended((w) => w.producer);
    if (p.workload === 'channel') {
      await until(producers, 'producers');
      Atomics.store(L, C('done'), 1);   // (for a bystander)
      obj.close();
      await until(ended((w) => w.consumer), 'consumers after close');
    } else if (p.workload === 'mqueue' || p.workload === 'framepool' || p.workload === 'topic') {
      await until(producers, 'producers');
      Atomics.store(L, C('done'), 1);
      await until(ended((w) => w.consumer), 'consumers after the producers');
    } else if (p.workload === 'port' || p.workload === 'direct') {
      await until(producers, 'senders');
      const stop = new Uint8Array([255]);
      const timeout = Math.max(1, deadline - performance.now());
      try { await until(p.workload === 'direct' ? rt.sendAsync(ownerTid, stop, { timeout }) : obj.sendAsync(stop, { timeout }), 'stop message'); } catch (e) { if (e instanceof Deadline) throw e; if (e.name !== 'DeadPeerError') fail(`stop message: ${e.name}: ${e.message}`); }
      await until(ended((w) => w.owner), 'receiver');
    } else if (p.workload === 'rpc') {
      await until(producers, 'callers');
    } else if (p.workload === 'lock') {
      // keep passing through the lock (a waiter waits for someone's pass) until all are done
      const all = ended(() => true);
      let done = false;
      all.then(() => { done = true; });
      while (!done) {
        await until(mainPass(rt, L, lay, C, obj, deadline), 'a pass through the lock by main');
        await Promise.race([all, new Promise((r) => setTimeout(r, 5))]);
      }
      await until(all, 'lockers');
      await until(mainPass(rt, L, lay, C, obj, deadline), 'the final lock by main');
    }
    await until(ended((w) => !(p.workload === 'rpc' && w.owner)), 'every worker');   // (an RPC callee serves until terminated)
    finished = true;
    await until(Promise.all(killing), 'kills');

    // ---- checks ----
    const effective = kills.filter((k) => k.effective);
    const killedIdx = new Set(kills.map((k) => k.index));
    const ownerKilled = workers.some((w) => w.owner && killedIdx.has(w.index));
    const ownerKill = kills.find((k) => workers[k.index].owner);
    for (const w of workers) {
      const res = w.result;
      if (killedIdx.has(w.index) && kills.find((k) => k.index === w.index).effective) continue;
      if (!res) { if (!killedIdx.has(w.index) && (!w.owner || p.workload !== 'rpc')) fail(`${w.role}#${w.index} exited (${w.exitCode}) without reporting`); continue; }
      if (res.error === 'DeadPeerError' && ownerKilled) {
        if (w.endAt - ownerKill.t > PROMPT_MS) fail(`${w.role}#${w.index}: DeadPeerError ${Math.round(w.endAt - ownerKill.t)} ms after its peer died`);
        continue;
      }
      if (res.error === 'DeadPeerError' && p.workload === 'channel' && w.producer && workers.filter((x) => x.consumer).every((x) => killedIdx.has(x.index))) continue;
      if (res.error) fail(`${w.role}#${w.index}: ${res.error}: ${res.message ?? ''}`);
    }
    for (const k of ['torn', 'dup', 'order', 'bogus', 'excl', 'tornState', 'notRecoverable', 'execDup', 'badReply', 'ownerDiedBogus']) {
      const v = Atomics.load(L, C(k));
      if (v !== 0) fail(`${k}: ${v}`);
    }
    const seen = (pid, seq, view = 0) => Atomics.load(L, seenAt(lay, view, pid, seq));
    if (p.workload === 'channel' || p.workload === 'mqueue' || p.workload === 'framepool' || p.workload === 'port' || p.workload === 'direct') {
      // what no surviving receiver took: the main thread drains it, checked the same way
      const drained = drain(p, obj, L, lay, C);
      if (drained.stuck) fail(`stalled: ${drained.stuck}`);
      if (p.workload === 'framepool') {
        const st = rt.list().find((o) => o.name === name).state;
        if (st.free !== p.slots) fail(`frame pool: ${st.free} of ${p.slots} slots free after every worker ended (${st.ready} ready)`);
      }
      // every committed message arrived, but what killed receivers held unrecorded
      const allowance = ownerKilled ? Infinity : kills.filter((k) => workers[k.index].consumer).reduce((s, k) => s + k.inflight, 0);
      let missing = 0;
      const examples = [];
      for (const w of workers.filter((x) => x.producer)) {
        const pid = w.data.pid;
        const committed = Atomics.load(L, lay.committed + pid);
        for (let s = 0; s < committed; s++) if (seen(pid, s) === 0) { missing++; if (examples.length < 5) examples.push(`${pid}/${s}`); }
      }
      if (missing > allowance) fail(`lost ${missing} committed messages (allowed ${allowance}: held by killed receivers), e.g. ${examples.join(' ')}`);
    } else if (p.workload === 'topic') {
      // every surviving subscriber saw every committed message once (or was told it lost it: overwrite)
      for (const sub of workers.filter((x) => x.consumer && !killedIdx.has(x.index) && x.result && !x.result.error)) {
        let missing = 0;
        for (const w of workers.filter((x) => x.producer)) {
          const committed = Atomics.load(L, lay.committed + w.data.pid);
          for (let s = 0; s < committed; s++) if (seen(w.data.pid, s, sub.data.view) === 0) missing++;
        }
        if (missing > sub.result.total) fail(`subscriber ${sub.data.view}: ${missing} committed messages missing, ${sub.result.total} reported lost`);
        if (p.policy === 'block' && sub.result.total !== 0) fail(`subscriber ${sub.data.view}: ${sub.result.total} lost under policy 'block'`);
      }
    } else if (p.workload === 'rpc') {
      for (const w of workers.filter((x) => x.producer)) {
        const pid = w.data.pid;
        let returned = 0;
        for (let s = 0; s < lay.maxSeq; s++) {
          const r = Atomics.load(L, lay.ret + pid * lay.maxSeq + s);
          returned += r;
          if (r === 1 && seen(pid, s) !== 1) fail(`rpc: call ${pid}/${s} returned but ran ${seen(pid, s)} times`);
        }
        if (!killedIdx.has(w.index) && !ownerKilled && returned !== w.data.count) fail(`rpc: caller ${pid} got ${returned} of ${w.data.count} replies`);
      }
    } else if (p.workload === 'lock') {
      const died = Atomics.load(L, C('ownerDied'));
      const holding = effective.filter((k) => k.phase === 'hold').length;
      if (died < holding) fail(`mutex: ${holding} workers killed holding it, but only ${died} OwnerDiedError reports`);
      if (died > effective.length) fail(`mutex: ${died} OwnerDiedError reports for ${effective.length} killed workers`);
      if (Atomics.load(L, C('a')) !== Atomics.load(L, C('b'))) fail('mutex: the protected state is torn at the end');
    }
  } catch (e) {
    if (!(e instanceof Deadline)) fail(`harness: ${e?.stack ?? e}`);
  } finally {
    finished = true;
    await Promise.all(workers.map((w) => w.worker.terminate()));
    rt.close();
  }
  return { seed, workload: p.workload, plan: p, kills, violations, ms: performance.now() - t0 };
}

/** Main's pass through the lock: take it (repairing after a dead holder), move `gen`, notify all. */
async function mainPass(rt, L, lay, C, m, deadline) {
  const cv = (mainPass.cv ??= new WeakMap()).get(rt) ?? mainPass.cv.set(rt, rt.condVar('obj.cv')).get(rt);
  try { await m.lockAsync({ timeout: Math.max(1, deadline - performance.now()) }); } catch (e) {
    if (e.name !== 'OwnerDiedError') throw e;
    Atomics.add(L, C('ownerDied'), 1);
    const h = Atomics.load(L, C('holder'));
    if (h !== 0 && Atomics.load(L, lay.killed + h - 1) === 0) Atomics.add(L, C('ownerDiedBogus'), 1);
    Atomics.store(L, C('a'), Atomics.load(L, C('b')));
    Atomics.store(L, C('inside'), 0);
    Atomics.store(L, C('holder'), 0);
    m.consistent();
  }
  if (Atomics.load(L, C('inside')) !== 0) Atomics.add(L, C('excl'), 1);
  if (Atomics.load(L, C('a')) !== Atomics.load(L, C('b'))) Atomics.add(L, C('tornState'), 1);
  Atomics.add(L, C('gen'), 1);
  cv.notifyAll();
  m.unlock();
}

/** Take what is left (never waiting) and record it like a receiver; say so if the object is stuck. */
function drain(p, obj, L, lay, C) {
  const last = new Map();
  const record = (pid, seq) => {
    if (pid >= p.producers || seq >= Atomics.load(L, lay.attempted + pid)) { Atomics.add(L, C('bogus'), 1); return; }
    if (Atomics.add(L, seenAt(lay, 0, pid, seq), 1) !== 0) Atomics.add(L, C('dup'), 1);
    if (seq <= (last.get(pid) ?? -1)) Atomics.add(L, C('order'), 1);
    last.set(pid, seq);
  };
  const message = (m) => { const r = checkMessage(m); if (!r) Atomics.add(L, C('torn'), 1); else record(r[0], r[1]); };
  if (p.workload === 'channel') {
    for (;;) {
      let m;
      try { m = obj.tryRecv(); } catch (e) { if (e.name === 'ClosedError') return {}; throw e; }
      if (m === undefined) return { stuck: `channel closed, but not drained: depth ${obj.depth}, and nothing to take` };
      message(m);
    }
  }
  if (p.workload === 'mqueue') {
    for (let m; (m = obj.tryReceive()) !== undefined;) message(m.value);
    return {};
  }
  if (p.workload === 'framepool') {
    for (let f; (f = obj.tryNext()) !== undefined; obj.release(f)) {
      const { p: pid, s } = f.meta ?? {};
      const words = f.as(Uint32Array);
      if (typeof pid !== 'number' || words.some((x) => x !== frameTag(pid, s))) Atomics.add(L, C('torn'), 1); else record(pid, s);
    }
    return {};
  }
  return {};   // a port: only its owner receives (and a stop was sent): its queue is its own
}

/** The figures of many runs. */
export function summarize(results) {
  const out = { runs: results.length, kills: 0, effectiveKills: 0, violations: 0, failing: [], byWorkload: {}, byPhase: {} };
  for (const r of results) {
    out.kills += r.kills.length;
    out.effectiveKills += r.kills.filter((k) => k.effective).length;
    out.violations += r.violations.length;
    if (r.violations.length) out.failing.push(r.seed);
    const b = (out.byWorkload[r.workload] ??= { runs: 0, kills: 0, violations: 0 });
    b.runs++; b.kills += r.kills.filter((k) => k.effective).length; b.violations += r.violations.length;
    for (const k of r.kills) if (k.effective) out.byPhase[`${k.role}:${k.phase}`] = (out.byPhase[`${k.role}:${k.phase}`] ?? 0) + 1;
  }
  return out;
}
