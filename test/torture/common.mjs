// Shared by the torture harness (main thread) and its workers: the seeded PRNG, the ledger
// layout in shared memory, phase codes, and the self-checking message format.

/** mulberry32: a small seeded PRNG; every choice of a run derives from its seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const int = (rng, lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));   // [lo, hi]
export const pick = (rng, list) => list[Math.floor(rng() * list.length)];

/**
 * What a worker is doing, written to its phase word before each step, so that a kill can
 * be attributed to a point (the word is frozen when the worker dies).
 */
export const PHASE = {
  start: 0, idle: 1, send: 2, reserve: 3, commit: 4, recv: 5, handle: 6, lock: 7, hold: 8,
  wait: 9, unlock: 10, acquire: 11, write: 12, publish: 13, next: 14, read: 15, release: 16,
  call: 17, deliver: 18, exec: 19, reply: 20, ack: 21, done: 22,
};
export const PHASE_NAME = Object.fromEntries(Object.entries(PHASE).map(([k, v]) => [v, k]));

/** Counters in the ledger (C + index). */
export const CNT = {
  go: 0,            // start gate: workers wait for 1
  done: 1,          // producers finished: consumers drain and leave
  torn: 2,          // a message or frame whose checksum failed (half-written, or corrupted)
  dup: 3,           // a message seen twice
  order: 4,         // a message out of per-producer order
  bogus: 5,         // a message that was never attempted
  excl: 6,          // two threads inside one critical section
  tornState: 7,     // a locker found the protected state torn without OwnerDiedError
  ownerDied: 8,     // OwnerDiedError reports
  notRecoverable: 9,
  a: 10, b: 11, holder: 12, inside: 13, gen: 14,   // the lock workload's protected state
  execDup: 15,      // an RPC executed twice
  badReply: 16,     // a reply that does not match its call
  ownerDiedBogus: 17, // OwnerDiedError while the recorded holder is alive
  N: 24,
};

/**
 * Word offsets of the ledger's regions, for `workers` workers and `views` sets of
 * `producers` x `maxSeq` marks (one per topic subscriber; one otherwise).
 */
export function ledgerLayout(workers, producers, maxSeq, views = 1) {
  const phase = 0;
  const progress = phase + workers;
  const committed = progress + workers;   // per producer: sends that returned (a prefix)
  const attempted = committed + producers; // per producer: sends begun
  const inflight = attempted + producers; // per consumer: messages it may hold unrecorded
  const killed = inflight + workers;       // per worker: 1 once main decided to terminate it
  const counters = killed + workers;
  const seen = counters + CNT.N;           // per (view, producer, seq): times received (or executed)
  const ret = seen + views * producers * maxSeq;  // per (producer, seq): the call returned (RPC)
  const words = ret + producers * maxSeq;
  return { phase, progress, committed, attempted, inflight, killed, counters, seen, ret, words, maxSeq, producers };
}

/** The word counting how often `view` received (producer, seq). */
export const seenAt = (lay, view, pid, seq) => lay.seen + (view * lay.producers + pid) * lay.maxSeq + seq;

const HDR = 8;      // [pid u16][seq u32][len u16]
const TAIL = 4;     // [checksum u32]
export const MIN_LEN = HDR + TAIL;

function fnv(bytes, n) {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** A message of len bytes from producer pid, number seq: header, derived payload, checksum. */
export function makeMessage(pid, seq, len, into) {
  const m = into ?? new Uint8Array(len);
  const dv = new DataView(m.buffer, m.byteOffset, len);
  dv.setUint16(0, pid, true);
  dv.setUint32(2, seq, true);
  dv.setUint16(6, len, true);
  for (let i = HDR; i < len - TAIL; i++) m[i] = (pid * 31 + seq * 7 + i) & 255;
  dv.setUint32(len - TAIL, fnv(m, len - TAIL), true);
  return m;
}

/** [pid, seq] of an intact message, or null if torn (length, payload or checksum wrong). */
export function checkMessage(m) {
  if (!(m instanceof Uint8Array) || m.length < MIN_LEN) return null;
  const dv = new DataView(m.buffer, m.byteOffset, m.length);
  const pid = dv.getUint16(0, true), seq = dv.getUint32(2, true), len = dv.getUint16(6, true);
  if (len !== m.length) return null;
  if (dv.getUint32(len - TAIL, true) !== fnv(m, len - TAIL)) return null;
  for (let i = HDR; i < len - TAIL; i++) if (m[i] !== ((pid * 31 + seq * 7 + i) & 255)) return null;
  return [pid, seq];
}

/** The tag a frame carries in every 32-bit word. */
export const frameTag = (pid, seq) => ((pid + 1) << 24 | (seq & 0xffffff)) >>> 0;

/** Busy-wait about `us` microseconds (a window for a kill to land in). */
export function spin(us) {
  if (us <= 0) return;
  const end = performance.now() + us / 1000;
  while (performance.now() < end) { /* spin */ }
}
