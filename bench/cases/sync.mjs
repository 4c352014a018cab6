// Synchronization primitives: mutex, semaphore, spin lock, ticket lock, rwlock, Peterson.
//
//   mutex-uncontended:        lock + unlock pairs in one worker, ns per pair.
//     wasm-ipc: m.lock(); m.unlock()   (the guard form, const g = m.lock(); g.release(),
//               costs the same call plus one closure call)
//     plain-js: Drepper's three-state futex mutex ("Futexes Are Tricky", mutex2) with
//               Atomics on a SharedArrayBuffer: lock CAS 0 -> 1, else swap 2 and
//               Atomics.wait; unlock swap 0, notify one if it was 2. No spin before parking.
//   *-contended-N:            N workers loop lock / ++counter (plain, non-atomic) / unlock.
//     Time-based: main waits until every worker is ready, opens a start word, sleeps
//     DURATION ms and sets a stop word; each worker reports its op count. ops/s is the total
//     over main's start-to-stop time. Check: the non-atomic counter equals the total ops,
//     which it only can if the lock excluded.
//     plain-js-spin: test-and-set with Atomics.compareExchange, unlock a store; never parks.
//   semaphore-*-8:            a binary semaphore (initial 1, max 1) used as the lock.
//     plain-js: CAS-decrement if > 0, else Atomics.wait on the count; release add 1, notify 1.
//   rwlock-read-8:            8 readers take and drop read locks; only counted.
const DURATION = 300; // ms per timed repetition
const UNCONTENDED_PAIRS = 2_000_000;

// Control words (SharedArrayBuffer, one cache line each): ready count, start, stop, and the
// plain-js lock and counter.
const READY = 0, START = 16, STOP = 32, LOCK = 48, COUNT = 64, CTL_WORDS = 80;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The worker side of a timed run: announce, wait for start, loop `step` until stop. */
function timed(ctl, step) {
  Atomics.add(ctl, READY, 1);
  while (Atomics.load(ctl, START) === 0) Atomics.wait(ctl, START, 0);
  let ops = 0;
  while (Atomics.load(ctl, STOP) === 0) { step(); ops++; }
  return { ops };
}

/** One timed repetition on main: reset, release the workers together, stop after DURATION. */
async function timedRep(team, ctl, threads, reset, counter, check = true) {
  reset();
  Atomics.store(ctl, READY, 0);
  Atomics.store(ctl, START, 0);
  Atomics.store(ctl, STOP, 0);
  const done = team.call({});
  while (Atomics.load(ctl, READY) < threads) await sleep(1);
  const t0 = performance.now();
  Atomics.store(ctl, START, 1);
  Atomics.notify(ctl, START);
  await sleep(DURATION);
  Atomics.store(ctl, STOP, 1);
  const s = (performance.now() - t0) / 1000;
  const res = await done;
  const total = res.reduce((a, r) => a + r.ops, 0);
  const got = counter();
  const ok = !check || got === total;
  return { value: total / s, ok, detail: `counter ${got}, ops reported ${total} (${res.map((r) => r.ops).join('/')})` };
}

// ---- the plain-JS peers ----

function futexLock(a, i) {
  let c = Atomics.compareExchange(a, i, 0, 1);
  if (c !== 0) {
    if (c !== 2) c = Atomics.exchange(a, i, 2);
    while (c !== 0) {
      Atomics.wait(a, i, 2);
      c = Atomics.exchange(a, i, 2);
    }
  }
}
function futexUnlock(a, i) {
  if (Atomics.exchange(a, i, 0) === 2) Atomics.notify(a, i, 1);
}
function spinLock(a, i) {
  while (Atomics.compareExchange(a, i, 0, 1) !== 0);
}
function spinUnlock(a, i) {
  Atomics.store(a, i, 0);
}
function semAcquire(a, i) {
  for (;;) {
    const v = Atomics.load(a, i);
    if (v > 0) {
      if (Atomics.compareExchange(a, i, v, v - 1) === v) return;
    } else {
      Atomics.wait(a, i, v);
    }
  }
}
function semRelease(a, i) {
  Atomics.add(a, i, 1);
  Atomics.notify(a, i, 1);
}

// ---- cases ----

// How main makes each wasm-ipc object: [factory, the role that uses it].
const KINDS = {
  mutex: (rt) => rt.mutex('bench-mutex'),
  spinlock: (rt) => rt.spinLock('bench-spinlock'),
  ticketlock: (rt) => rt.ticketLock('bench-ticketlock'),
  rwlock: (rt) => rt.rwLock('bench-rwlock'),
  peterson: (rt) => rt.petersonLock('bench-peterson'),
  semaphore: (rt) => rt.semaphore('bench-semaphore', { initial: 1, max: 1 }),
  'semaphore-fair': (rt) => rt.semaphore('bench-semaphore-fair', { initial: 1, max: 1, fair: true }),
};

const uncontended = {
  name: 'mutex-uncontended', unit: 'ns', metric: 'lock+unlock', threads: 1, better: 'lower',
  impls: ['wasm-ipc', 'plain-js'],
  async prepare(impl, h) {
    const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
    let init = () => ({ ctl: ctl.buffer });
    let counter = () => ctl[COUNT];
    let reset = () => { ctl[COUNT] = 0; };
    if (impl === 'wasm-ipc') {
      const m = KINDS.mutex(h.rt);
      const region = h.rt.shm('bench-counter', { size: 64 });
      init = () => ({ ctl: ctl.buffer, lock: m.toData(), region: region.toData() });
      counter = () => region.int32[0];
      reset = () => { region.int32[0] = 0; };
      const team = await h.workers(impl, 'mutex-uncontended', 1, init);
      return {
        async rep() {
          reset();
          const [r] = await team.call({ n: UNCONTENDED_PAIRS });
          const ok = counter() === UNCONTENDED_PAIRS && m.owner === 0;
          return { value: (r.ms * 1e6) / UNCONTENDED_PAIRS, ok, detail: `counter ${counter()}, owner ${m.owner}` };
        },
      };
    }
    const team = await h.workers(impl, 'mutex-uncontended', 1, init);
    return {
      async rep() {
        reset();
        const [r] = await team.call({ n: UNCONTENDED_PAIRS });
        const ok = counter() === UNCONTENDED_PAIRS && ctl[LOCK] === 0;
        return { value: (r.ms * 1e6) / UNCONTENDED_PAIRS, ok, detail: `counter ${counter()}, lock word ${ctl[LOCK]}` };
      },
    };
  },
};

/** A contended case: `kind` names the wasm-ipc object, `role` the worker loop. */
const contended = (name, threads, impls, kind, role, { check = true } = {}) => ({
  name, unit: 'ops/s', metric: check ? 'lock+inc+unlock' : 'read lock+unlock', threads, better: 'higher', impls,
  async prepare(impl, h) {
    const ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
    let init = () => ({ ctl: ctl.buffer });
    let counter = () => ctl[COUNT];
    let reset = () => { ctl[COUNT] = 0; ctl[LOCK] = impl === 'plain-js' && kind.startsWith('semaphore') ? 1 : 0; };
    if (impl === 'wasm-ipc') {
      const obj = KINDS[kind](h.rt);
      const region = h.rt.shm(`bench-counter-${kind}`, { size: 64 });
      init = () => ({ ctl: ctl.buffer, lock: obj.toData(), region: region.toData() });
      counter = () => region.int32[0];
      reset = () => { region.int32[0] = 0; };
    }
    const team = await h.workers(impl, role, threads, init);
    return { rep: () => timedRep(team, ctl, threads, reset, counter, check) };
  },
});

const MUTEX_IMPLS = ['wasm-ipc', 'plain-js', 'plain-js-spin'];
const OURS = ['wasm-ipc'];

export const cases = [
  uncontended,
  ...[2, 4, 8].map((n) => contended(`mutex-contended-${n}`, n, MUTEX_IMPLS, 'mutex', 'mutex')),
  contended('semaphore-contended-8', 8, ['wasm-ipc', 'plain-js'], 'semaphore', 'semaphore'),
  contended('semaphore-fair-contended-8', 8, OURS, 'semaphore-fair', 'semaphore'),
  ...[2, 4, 8].map((n) => contended(`spinlock-contended-${n}`, n, OURS, 'spinlock', 'spinlock')),
  ...[2, 4, 8].map((n) => contended(`ticketlock-contended-${n}`, n, OURS, 'ticketlock', 'ticketlock')),
  ...[2, 4, 8].map((n) => contended(`rwlock-write-contended-${n}`, n, OURS, 'rwlock', 'rwlock-write')),
  contended('rwlock-read-8', 8, OURS, 'rwlock', 'rwlock-read', { check: false }),
  contended('peterson-contended-2', 2, OURS, 'peterson', 'peterson'),
];

// ---- worker side ----

/** wasm-ipc: open the lock and the counter region; `make(lock, c, index)` gives the step. */
const ours = (make) => ({ rt, init, index }) => {
  const ctl = new Int32Array(init.ctl);
  const lock = rt.open(init.lock);
  const region = rt.open(init.region);
  const c = region.int32; // the counter: c[0], plain reads and writes
  const step = make(lock, c, index);
  return () => timed(ctl, step);
};

/** plain-js: the lock and the counter are words of the control buffer. */
const plain = (lock, unlock) => ({ init }) => {
  const a = new Int32Array(init.ctl);
  const step = () => { lock(a, LOCK); a[COUNT] = a[COUNT] + 1; unlock(a, LOCK); };
  return () => timed(a, step);
};

export const roles = {
  'wasm-ipc': {
    'mutex-uncontended': ({ rt, init }) => {
      const m = rt.open(init.lock);
      const c = rt.open(init.region).int32;
      return ({ n }) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) { m.lock(); c[0] = c[0] + 1; m.unlock(); }
        return { ms: performance.now() - t0 };
      };
    },
    mutex: ours((m, c) => () => { m.lock(); c[0] = c[0] + 1; m.unlock(); }),
    spinlock: ours((l, c) => () => { l.lock(); c[0] = c[0] + 1; l.unlock(); }),
    ticketlock: ours((l, c) => () => { l.lock(); c[0] = c[0] + 1; l.unlock(); }),
    semaphore: ours((s, c) => () => { s.acquire(1); c[0] = c[0] + 1; s.release(1); }),
    'rwlock-write': ours((rw, c) => () => { rw.write(); c[0] = c[0] + 1; rw.writeUnlock(); }),
    'rwlock-read': ours((rw) => () => { rw.read(); rw.readUnlock(); }),
    peterson: ours((p, c, index) => {
      const side = index & 1;
      return () => { p.lock(side); c[0] = c[0] + 1; p.unlock(side); };
    }),
  },
  'plain-js': {
    'mutex-uncontended': ({ init }) => {
      const a = new Int32Array(init.ctl);
      return ({ n }) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) { futexLock(a, LOCK); a[COUNT] = a[COUNT] + 1; futexUnlock(a, LOCK); }
        return { ms: performance.now() - t0 };
      };
    },
    mutex: plain(futexLock, futexUnlock),
    semaphore: plain(semAcquire, semRelease),
  },
  'plain-js-spin': {
    mutex: plain(spinLock, spinUnlock),
  },
};
