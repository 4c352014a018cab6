import { describe, it, expect } from 'vitest';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Runtime, ClosedError, PIPE_BUF, TimeoutError } from '../dist/node/index.js';
import { runWorker } from './helpers';

describe('pipe', () => {
  it('writes of PIPE_BUF bytes are atomic with 4 writers; EOF once all writers closed', async () => {
    const rt = await Runtime.create({ size: 4 << 20 });
    const pipe = rt.pipe('fifo', { capacity: 16 });
    const r = pipe.reader();
    const hold = pipe.writer(); // like a FIFO: EOF comes when the last write end closes
    const writers = Array.from({ length: 4 }, (_, id) => runWorker(rt, 'pipe-writer', { name: 'fifo', id: id + 1, count: 200 }));
    void Promise.all(writers.map((w) => w.result)).then(() => hold.close());
    const parts: Uint8Array[] = [];
    for (let chunk; (chunk = await r.readAsync(1000)) !== null;) parts.push(chunk);
    await Promise.all(writers.map((w) => w.worker.terminate()));
    const all = Buffer.concat(parts);
    expect(all.length).toBe(4 * 200 * PIPE_BUF);
    const perWriter = [0, 0, 0, 0, 0];
    for (let i = 0; i < all.length; i += PIPE_BUF) {
      const id = all[i]!;
      expect(all.subarray(i, i + PIPE_BUF).every((b) => b === id)).toBe(true); // never interleaved inside a write
      perWriter[id]!++;
    }
    expect(perWriter.slice(1)).toEqual([200, 200, 200, 200]);
    expect(r.read()).toBeNull();
  });

  it('EPIPE: writing after every reader closed is a ClosedError; reads time out; ends close once', async () => {
    const rt = await Runtime.create();
    const pipe = rt.pipe('p');
    const r = pipe.reader();
    const w = pipe.writer();
    expect(() => r.read(10, 10)).toThrow(TimeoutError);
    w.write(new TextEncoder().encode('hello world'));
    expect(new TextDecoder().decode(r.read(5)!)).toBe('hello');
    expect(new TextDecoder().decode(r.read()!)).toBe(' world');
    r.close();
    r.close();
    expect(() => w.write(new Uint8Array(1))).toThrow(/EPIPE/);
    await expect(w.writeAsync(new Uint8Array(1))).rejects.toThrow(ClosedError);
    expect(() => pipe.writer()).toThrow(ClosedError);
    expect(() => w.write('text' as never)).toThrow(TypeError);
    expect(() => r.read()).toThrow(/read end is closed/);
    expect(() => r.read(0)).toThrow(RangeError);
  });

  it('Node stream adapters: 2 MB through a small pipe with back-pressure, then end', async () => {
    const rt = await Runtime.create({ size: 4 << 20 });
    const pipe = rt.pipe('s', { capacity: 4 });
    const reader = pipe.reader();
    const data = new Uint8Array(2 << 20).map((_, i) => (i * 13) & 255);
    const received: Buffer[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { received.push(chunk); cb(); } });
    await Promise.all([
      pipeline(Readable.from([data.subarray(0, 1 << 20), data.subarray(1 << 20)]), pipe.writer().nodeWritable()),
      pipeline(reader.nodeReadable(), sink),
    ]);
    expect(Buffer.concat(received).equals(Buffer.from(data))).toBe(true);
  });

  it('WHATWG stream adapters: pipeTo, end, and cancel closing the read end', async () => {
    const rt = await Runtime.create({ size: 4 << 20 });
    const pipe = rt.pipe('w', { capacity: 4 });
    const reader = pipe.reader();
    const chunks = Array.from({ length: 100 }, (_, i) => new Uint8Array(10_000).fill(i));
    const source = new ReadableStream<Uint8Array>({ start(c) { chunks.forEach((x) => c.enqueue(x)); c.close(); } });
    const out: Uint8Array[] = [];
    await Promise.all([
      source.pipeTo(pipe.writer().writable()),
      reader.readable().pipeTo(new WritableStream({ write(c) { out.push(c); } })),
    ]);
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
    const p2 = rt.pipe('w2');
    const w2 = p2.writer();
    await p2.reader().readable().cancel();
    expect(() => w2.write(new Uint8Array(1))).toThrow(/EPIPE/);
  });
});
