// Model-based fuzzing (fast-check) of the segment's memory and names: the allocator (raw
// blocks and shm regions) and the registry (named and unnamed objects of every kind,
// refcounted per thread). Random operation sequences, bad arguments among them, on one JS
// thread (a second thread of the segment attached in it), against a plain sequential model;
// every bad call must throw a typed error and change nothing, which the model then keeps
// checking.
// FUZZ_SEED=n reproduces a run (fast-check prints the seed and path of a failure);
// FUZZ_RUNS=k multiplies the number of runs.
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import {
  Runtime, Kind, ClosedError, OutOfMemoryError, NotFoundError, KindMismatchError, AlreadyExistsError,
  type Segment, type SharedRegion, type IpcObject,
} from '../dist/node/index.js';

import { runs, throws, command, type ErrorClass } from './fuzz/common';

// ---------------------------------------------------------------------------------------
// Allocator: the live blocks (raw alloc() and shm regions) are 8-aligned, zeroed, at least
// as large as asked, never overlap, and keep what was written into them; bytesInUse and
// blocksInUse move by exactly what each block took, and come back when it goes. A refused
// call (a bad offset, a double free, a size past the segment's maximum) changes nothing.

const MAX = 4 << 20;
let mem: Runtime;
let seg: Segment;

interface Block { p: number; n: number; usable: number; seed: number; bytes: number }
interface Region { name: string; r: SharedRegion; size: number; seed: number; bytes: number; blocks: number }
interface AllocModel { blocks: Block[]; freed: number[]; regions: Region[]; bytes: number; count: number }
type AllocReal = Record<string, never>;

// (the byte pattern steps by 13: it never holds three zero bytes in a row, so no block header can be forged from it)
const pattern = (seed: number, i: number): number => (seed + i * 13) & 255;
const write = (at: number, len: number, seed: number): void => { const v = seg.view(at, len); for (let i = 0; i < len; i++) v[i] = pattern(seed, i); };
/** What was written is still there: all of a small block, the two ends and a middle stretch of a large one. */
function intact(at: number, len: number, seed: number): boolean {
  const v = seg.view(at, len);
  const spans = len <= 4096 ? [[0, len]] : [[0, 256], [len >> 1, (len >> 1) + 256], [len - 256, len]];
  return spans.every(([a, b]) => { for (let i = a!; i < b!; i++) if (v[i] !== pattern(seed, i)) return false; return true; });
}
const usage = () => { const s = seg.stats(); return { bytes: s.bytesInUse, blocks: s.blocksInUse }; };

function allocInvariants(m: AllocModel): void {
  expect(usage()).toEqual({ bytes: m.bytes, blocks: m.count });
  for (const b of m.blocks) expect(intact(b.p, b.n, b.seed)).toBe(true);
  for (const g of m.regions) expect(intact(g.r.dataOffset, g.size, g.seed)).toBe(true);
}
const allocCmd = (label: string, run: (m: AllocModel) => void, check?: (m: Readonly<AllocModel>) => boolean) => command<AllocModel, AllocReal>(label, run, allocInvariants, check);

/** The extents held now: [start, end) of each block, its 8-byte header included. */
const extents = (m: AllocModel): [number, number][] => [
  ...m.blocks.map((b): [number, number] => [b.p - 8, b.p + b.usable]),
  ...m.regions.map((g): [number, number] => [g.r.offset - 8, g.r.offset + seg.usable(g.r.offset)]),
];
const overlaps = (m: AllocModel, start: number, end: number): boolean => extents(m).some(([a, b]) => start < b && a < end);

const sizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 128 }) },
  { weight: 3, arbitrary: fc.integer({ min: 129, max: 32_760 }) },
  { weight: 2, arbitrary: fc.integer({ min: 32_761, max: 400_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 8, 9, 120, 121, 32_760, 32_761, 4096, 1 << 20, 3 << 20, MAX) },
);

const allocCommands = () => [
  fc.tuple(sizeArb, fc.nat(255)).map(([n, seed]) => allocCmd(`alloc(${n})`, (m) => {
    let p: number;
    try { p = seg.alloc(n); } catch (e) {
      expect(e).toBeInstanceOf(OutOfMemoryError);   // the segment is full at its maximum (or too fragmented): nothing taken
      return;
    }
    const usable = seg.usable(p);
    expect(p % 8).toBe(0);
    expect(usable).toBeGreaterThanOrEqual(n);
    expect(overlaps(m, p - 8, p + usable)).toBe(false);
    expect(seg.view(p, n).every((v) => v === 0)).toBe(true);
    const after = usage();
    expect(after.blocks).toBe(m.count + 1);
    expect(after.bytes - m.bytes).toBe(usable + 8);   // the block and its header
    write(p, n, seed);
    m.blocks.push({ p, n, usable, seed, bytes: usable + 8 });
    m.freed = m.freed.filter((f) => f !== p);
    m.bytes = after.bytes;
    m.count++;
  })),
  fc.nat().map((i) => allocCmd(`free(block #${i})`, (m) => {
    const [b] = m.blocks.splice(i % m.blocks.length, 1);
    seg.free(b!.p);
    m.bytes -= b!.bytes;
    m.count--;
    m.freed.push(b!.p);
  }, (m) => m.blocks.length > 0)),
  fc.nat().map((i) => allocCmd(`double free(#${i})`, (m) => {
    throws(() => seg.free(m.freed[i % m.freed.length]!), RangeError);
    throws(() => seg.usable(m.freed[i % m.freed.length]!), RangeError);
  }, (m) => m.freed.length > 0)),
  fc.tuple(fc.nat(), fc.constantFrom(1, 4, 8, 16, 64)).map(([i, k]) => allocCmd(`free(block #${i} + ${k})`, (m) => {
    const b = m.blocks[i % m.blocks.length]!;
    if (b.usable < k + 8) { throws(() => seg.free(b.p + b.usable + 4), RangeError); return; }   // (past its end: not a block start either)
    throws(() => seg.free(b.p + k), RangeError);   // inside a live block: not a block, refused
  }, (m) => m.blocks.length > 0)),
  fc.constantFrom<[unknown, ErrorClass]>([-8, RangeError], [0, RangeError], [3, RangeError], [1.5, RangeError], [NaN, RangeError], ['64', TypeError], [null, TypeError], [2 ** 31 + 8, RangeError], [2 ** 31 - 8, RangeError])
    .map(([p, err]) => allocCmd(`free(${String(p)})`, () => {
      throws(() => seg.free(p as number), err);
      throws(() => seg.usable(p as number), err);
    })),
  fc.constant(allocCmd('free(a region\'s bytes)', (m) => {
    const g = m.regions[0]!;
    throws(() => seg.free(g.r.dataOffset), RangeError);   // inside the object's block
  }, (m) => m.regions.length > 0)),
  fc.constantFrom<[unknown, ErrorClass]>([0, RangeError], [-1, RangeError], [1.5, RangeError], [NaN, RangeError], [Infinity, RangeError], ['8', TypeError], [null, TypeError], [2 ** 31 + 1, RangeError], [2 ** 31, OutOfMemoryError], [2 ** 30, OutOfMemoryError], [MAX + 1, OutOfMemoryError])
    .map(([n, err]) => allocCmd(`alloc(${String(n)})`, () => { throws(() => seg.alloc(n as number), err); })),
  fc.tuple(fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 5000, max: 300_000 }), fc.constant(MAX)), fc.nat(255)).map(([size, seed]) => allocCmd(`shm(size ${size})`, (m) => {
    const name = `r${++regions}`;
    let r: SharedRegion;
    try { r = mem.shm(name, { size }); } catch (e) {
      expect(e).toBeInstanceOf(OutOfMemoryError);
      expect(mem.list().some((o) => o.name === name)).toBe(false);   // nothing made
      return;
    }
    expect(r.size).toBe(size);
    expect(r.dataOffset % 8).toBe(0);
    expect(r.bytes.every((v) => v === 0)).toBe(true);
    expect(overlaps(m, r.offset - 8, r.offset + seg.usable(r.offset))).toBe(false);
    write(r.dataOffset, size, seed);
    const again = mem.shm(name);
    expect(again.dataOffset).toBe(r.dataOffset);
    again.dispose();
    throws(() => mem.shm(name, { size: size + 1 }), RangeError);   // exists with another size: nothing opened
    const after = usage();
    m.regions.push({ name, r, size, seed, bytes: after.bytes - m.bytes, blocks: after.blocks - m.count });
    m.freed = [];   // (the object, its entry and reference record may sit where freed blocks were)
    m.bytes = after.bytes;
    m.count = after.blocks;
  })),
  fc.nat().map((i) => allocCmd(`remove(region #${i})`, (m) => {
    const [g] = m.regions.splice(i % m.regions.length, 1);
    g!.r.remove();
    m.bytes -= g!.bytes;   // the object, its registry entry and this thread's reference record
    m.count -= g!.blocks;
  }, (m) => m.regions.length > 0)),
  fc.constantFrom<[unknown, ErrorClass]>([0, RangeError], [-5, RangeError], [0.5, RangeError], ['64', TypeError], [0x7fff_0001, RangeError]).map(([size, err]) => allocCmd(`shm(size ${String(size)})`, () => {
    const name = `r${++regions}`;
    throws(() => mem.shm(name, { size: size as number }), err);
    throws(() => mem.shm(name), NotFoundError);
  })),
];
let regions = 0;

describe('fuzz: allocator against the set of live blocks', () => {
  beforeAll(async () => {
    mem = await Runtime.create({ size: 256 << 10, maxSize: MAX });
    seg = mem.segment();
  });

  it('random allocs and frees of every size class and large blocks, shm regions, bad and double frees, a full segment', () => {
    fc.assert(fc.property(fc.commands(allocCommands(), { maxCommands: 80, size: 'max' }), (cmds) => {
      const base = usage();
      const model: AllocModel = { blocks: [], freed: [], regions: [], bytes: base.bytes, count: base.blocks };
      try { fc.modelRun(() => ({ model, real: {} }), cmds); } finally {
        for (const b of model.blocks) seg.free(b.p);
        for (const g of model.regions) g.r.remove();
      }
      expect(usage()).toEqual(base);   // back to where it was
    }), runs(120));
  });
});

// ---------------------------------------------------------------------------------------
// Registry: name → (kind, object), each object's references counted per thread. Create-or-
// open checks the kind (KindMismatchError) and `exclusive` (AlreadyExistsError); opening
// without creation parameters needs the name (NotFoundError); a named object persists with
// no reference until removed; a removed or unnamed one is freed with its last reference; a
// thread that exits drops its references. ipcs (list) shows exactly the named and unnamed
// objects not removed, with their reference counts.

interface Maker { ipcs: string; create(rt: Runtime, name: string | undefined, exclusive: boolean): IpcObject; open?(rt: Runtime, name: string): IpcObject }
const makers: Record<string, Maker> = {
  shm: { ipcs: 'shm', create: (rt, n, exclusive) => rt.shm(n as string, { size: 24, exclusive }), open: (rt, n) => rt.shm(n) },
  semaphore: { ipcs: 'semaphore', create: (rt, n, exclusive) => rt.semaphore(n, { exclusive }) },
  mutex: { ipcs: 'mutex', create: (rt, n, exclusive) => rt.mutex(n, { exclusive }) },
  event: { ipcs: 'event', create: (rt, n, exclusive) => rt.event(n, { exclusive }) },
  atomic: { ipcs: 'atomic', create: (rt, n, exclusive) => rt.atomic(n, { exclusive }) },
  channel: { ipcs: 'channel', create: (rt, n, exclusive) => rt.channel(n, { capacity: 2, exclusive }) },
  messageQueue: { ipcs: 'mqueue', create: (rt, n, exclusive) => rt.messageQueue(n, { maxMessages: 2, maxMessageSize: 8, exclusive }) },
  topic: { ipcs: 'topic', create: (rt, n, exclusive) => rt.topic(n, { capacity: 2, maxMessageSize: 8, exclusive }) },
  port: { ipcs: 'port', create: (rt, n, exclusive) => rt.port(n, { backlog: 4, exclusive }) },
  framePool: { ipcs: 'framepool', create: (rt, n, exclusive) => rt.framePool(n, { slots: 1, frameSize: 8, exclusive }), open: (rt, n) => rt.framePool(n) },
  barrier: { ipcs: 'barrier', create: (rt, n, exclusive) => rt.barrier(n, { parties: 2, exclusive }), open: (rt, n) => rt.barrier(n) },
  latch: { ipcs: 'latch', create: (rt, n, exclusive) => rt.latch(n, { count: 1, exclusive }), open: (rt, n) => rt.latch(n) },
};
const kinds = Object.keys(makers);
const openable = kinds.filter((k) => makers[k]!.open);
const names = ['a', 'A', 'b', 'é', '日本語', 'a b', 'x'.repeat(255), 'é'.repeat(127)];   // (the last two: 255 and 254 UTF-8 bytes)
const badNames: [unknown, ErrorClass][] = [['', RangeError], ['x'.repeat(256), RangeError], ['é'.repeat(128), RangeError], [42, TypeError], [null, TypeError], [{}, TypeError]];

interface Obj { id: number; name: string | null; kind: string; refs: [number, number]; linked: boolean; destroyed: boolean }
interface Handle { t: 0 | 1; obj: Obj; h: IpcObject; open: boolean }
interface RegModel { objs: Obj[]; byName: Map<string, Obj>; handles: Handle[]; exited: boolean }
interface RegReal { rts: [Runtime, Runtime] }
let nextId = 0;

const refsOf = (o: Obj): number => o.refs[0] + o.refs[1];
/** A handle's reference went: the object goes with its last one if removed or unnamed. */
function dropRef(o: Obj, t: 0 | 1): void {
  o.refs[t]--;
  if (refsOf(o) === 0 && (!o.linked || o.name === null)) o.destroyed = true;
}
function unlink(m: RegModel, o: Obj): void {
  o.linked = false;
  if (o.name !== null) m.byName.delete(o.name);
  if (refsOf(o) === 0) o.destroyed = true;
}

function regInvariants(m: RegModel, r: RegReal): void {
  const rt = r.rts[0];
  const listed = rt.list().map((o) => `${o.name ?? '(unnamed)'}:${o.kind}:${o.refs}`).sort();
  const want = m.objs.filter((o) => o.linked && !o.destroyed).map((o) => `${o.name ?? '(unnamed)'}:${makers[o.kind]!.ipcs}:${refsOf(o)}`).sort();
  expect(listed).toEqual(want);
  expect(rt.segment().stats().objects).toBe(m.objs.filter((o) => !o.destroyed).length);   // removed ones live on while referenced
  for (const h of m.handles) if (h.open) expect(h.h.alive).toBe(h.obj.linked);
}
const regCmd = (label: string, run: (m: RegModel, r: RegReal) => void, check?: (m: Readonly<RegModel>) => boolean) => command(label, run, regInvariants, check);
const can = (t: 0 | 1) => (m: Readonly<RegModel>): boolean => t === 0 || !m.exited;

const regCommands = () => {
  const thread = fc.constantFrom<0 | 1>(0, 1);
  const name = fc.constantFrom(...names);
  const kind = fc.constantFrom(...kinds);
  const pick = fc.nat();
  return [
    fc.tuple(thread, name, kind, fc.boolean()).map(([t, n, k, exclusive]) => regCmd(`[${t}] ${k}(${JSON.stringify(n.slice(0, 8))}${exclusive ? ', exclusive' : ''})`, (m, r) => {
      const go = () => makers[k]!.create(r.rts[t], n, exclusive);
      const o = m.byName.get(n);
      if (o && o.kind !== k) { throws(go, KindMismatchError); return; }
      if (o && exclusive) { throws(go, AlreadyExistsError); return; }
      const h = go();
      expect(h.name).toBe(n);
      const obj = o ?? { id: ++nextId, name: n, kind: k, refs: [0, 0] as [number, number], linked: true, destroyed: false };
      if (!o) { m.objs.push(obj); m.byName.set(n, obj); }
      obj.refs[t]++;
      m.handles.push({ t, obj, h, open: true });
    }, can(t))),
    fc.tuple(thread, name, fc.constantFrom(...openable)).map(([t, n, k]) => regCmd(`[${t}] open ${k}(${JSON.stringify(n.slice(0, 8))})`, (m, r) => {
      const go = () => makers[k]!.open!(r.rts[t], n);
      const o = m.byName.get(n);
      if (!o) { throws(go, NotFoundError); return; }
      if (o.kind !== k) { throws(go, KindMismatchError); return; }
      m.handles.push({ t, obj: o, h: go(), open: true });
      o.refs[t]++;
    }, can(t))),
    fc.tuple(thread, kind).map(([t, k]) => regCmd(`[${t}] unnamed ${k}`, (m, r) => {
      const h = makers[k]!.create(r.rts[t], undefined, false);
      expect(h.name).toBeNull();
      const obj: Obj = { id: ++nextId, name: null, kind: k, refs: [0, 0], linked: true, destroyed: false };
      obj.refs[t] = 1;
      m.objs.push(obj);
      m.handles.push({ t, obj, h, open: true });
    }, can(t))),
    pick.map((i) => regCmd(`close handle #${i}`, (m) => {
      const usable = m.handles.filter((x) => x.t === 0 || !m.exited);
      const h = usable[i % usable.length]!;
      h.h.dispose();   // (again: nothing happens)
      if (h.open) { h.open = false; dropRef(h.obj, h.t); }
    }, (m) => m.handles.some((h) => h.t === 0 || !m.exited))),
    fc.tuple(thread, name).map(([t, n]) => regCmd(`[${t}] rt.remove(${JSON.stringify(n.slice(0, 8))})`, (m, r) => {
      const o = m.byName.get(n);
      if (!o) { throws(() => r.rts[t].remove(n), NotFoundError); return; }
      r.rts[t].remove(n);
      unlink(m, o);
    }, can(t))),
    pick.map((i) => regCmd(`handle #${i}.remove()`, (m) => {
      const usable = m.handles.filter((x) => x.t === 0 || !m.exited);
      const h = usable[i % usable.length]!;
      if (!h.open || !h.obj.linked) { throws(() => h.h.remove(), ClosedError); return; }
      h.h.remove();
      unlink(m, h.obj);
      h.open = false;   // remove() closes the handle too
      dropRef(h.obj, h.t);
    }, (m) => m.handles.some((h) => h.t === 0 || !m.exited))),
    fc.tuple(thread, pick).map(([t, i]) => regCmd(`[${t}] rt.open(handle #${i}.toData())`, (m, r) => {
      const h = m.handles[i % m.handles.length]!;
      const go = () => r.rts[t].open(h.h.toData());
      if (!h.obj.linked || h.obj.destroyed) { throws(go, NotFoundError); return; }   // removed: a stale handle opens nothing
      const again = go();
      expect([again.offset, again.serial, again.name]).toEqual([h.h.offset, h.h.serial, h.obj.name]);
      m.handles.push({ t, obj: h.obj, h: again, open: true });
      h.obj.refs[t]++;
    }, (m) => can(t)(m) && m.handles.length > 0)),
    fc.tuple(thread, pick, fc.constantFrom('kind', 'serial', 'segment')).map(([t, i, what]) => regCmd(`[${t}] rt.open(handle #${i}.toData() with another ${what})`, (m, r) => {
      const h = m.handles[i % m.handles.length]!;
      const data = h.h.toData();
      if (what === 'segment') { throws(() => r.rts[t].open({ ...data, segment: 'elsewhere' }), NotFoundError); return; }
      if (what === 'serial') { throws(() => r.rts[t].open({ ...data, serial: data.serial + 1000 }), NotFoundError); return; }
      const other = data.kind === Kind.semaphore ? Kind.mutex : Kind.semaphore;   // the same object read as another kind
      throws(() => r.rts[t].open({ ...data, kind: other }), h.obj.linked && !h.obj.destroyed ? KindMismatchError : NotFoundError);
    }, (m) => can(t)(m) && m.handles.length > 0)),
    fc.constant(regCmd('thread 1 exits', (m, r) => {
      r.rts[1].close();   // its references are dropped, as a dead process's descriptors
      m.exited = true;
      for (const h of m.handles) if (h.t === 1 && h.open) { h.open = false; dropRef(h.obj, 1); }
      throws(() => r.rts[1].semaphore('a'), TypeError);   // this runtime is closed
    }, (m) => !m.exited)),
    // bad arguments
    fc.tuple(thread, fc.constantFrom(...badNames), kind).map(([t, [n, err], k]) => regCmd(`[${t}] ${k}(bad name ${String(n).slice(0, 8)})`, (m, r) => {
      throws(() => makers[k]!.create(r.rts[t], n as string, false), err);
      throws(() => r.rts[t].remove(n as string), err);
      if (makers[k]!.open) throws(() => makers[k]!.open!(r.rts[t], n as string), err);
    }, can(t))),
    fc.tuple(thread, fc.constantFrom<unknown>(null, 5, {}, { kind: 99, obj: 0, serial: 0, segment: 'main', name: null }, { kind: 8, obj: 8, serial: 1, segment: 'main', name: null }, { kind: 8, obj: 2 ** 31, serial: 1, segment: 'main', name: null }))
      .map(([t, data]) => regCmd(`[${t}] rt.open(${JSON.stringify(data)})`, (m, r) => {
        throws(() => r.rts[t].open(data as never), TypeError, NotFoundError);
      }, can(t))),
    fc.tuple(thread, fc.constantFrom<unknown>(null, 'x', 7)).map(([t, options]) => regCmd(`[${t}] options ${String(options)}`, (m, r) => {
      throws(() => r.rts[t].semaphore('a', options as never), TypeError);
      throws(() => r.rts[t].mutex('a', options as never), TypeError);
    }, can(t))),
    fc.tuple(thread, fc.constantFrom<[unknown, ErrorClass]>(['elsewhere', NotFoundError], ['', RangeError], ['s'.repeat(65), RangeError], [5, TypeError], [null, TypeError]))
      .map(([t, [segment, err]]) => regCmd(`[${t}] segment ${String(segment).slice(0, 8)}`, (m, r) => {
        throws(() => r.rts[t].semaphore('a', { segment: segment as string }), err);
        throws(() => r.rts[t].remove('a', { segment: segment as string }), err);
        throws(() => r.rts[t].segment(segment as string), err);
      }, can(t))),
  ];
};

describe('fuzz: registry against a name → kind map with reference counts', () => {
  it('random create / open / exclusive / remove / close / reopen from data over every kind, two threads, one exits, bad names', async () => {
    await fc.assert(fc.asyncProperty(fc.commands(regCommands(), { maxCommands: 60, size: 'max' }), async (cmds) => {
      const rt = await Runtime.create({ size: 1 << 20, maxSize: 4 << 20 });   // one segment per run
      const rt2 = await Runtime.attach(rt.handle());
      const base = rt.segment().stats().bytesInUse;
      const model: RegModel = { objs: [], byName: new Map(), handles: [], exited: false };
      try {
        try { fc.modelRun(() => ({ model, real: { rts: [rt, rt2] } }), cmds); } finally {
          for (const h of model.handles) if (h.open && (h.t === 0 || !model.exited)) h.h.dispose();
          for (const o of model.byName.values()) rt.remove(o.name!);
          rt2.close();
        }
        expect(rt.list()).toEqual([]);
        expect(rt.segment().stats().objects).toBe(0);
        expect(rt.segment().stats().bytesInUse).toBe(base);   // entries, objects, reference records: all freed
      } finally { rt.close(); }
    }), runs(150));
  });
});
