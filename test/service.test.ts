import { describe, it, expect } from 'vitest';
import type { Worker } from 'node:worker_threads';
import { Runtime, AlreadyExistsError, NotFoundError, DeadPeerError, TimeoutError, ClosedError } from '../dist/node/index.js';
import { runWorker } from './helpers';

const next = <T = any>(w: Worker): Promise<T> => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });

describe('services (listen / accept / connect)', () => {
  it('4 clients against one server; the server killed, then replaced, and new clients reach the new server', async () => {
    const rt = await Runtime.create({ size: 16 << 20 });
    const first = runWorker<{ tid: number }>(rt, 'port-roles', { role: 'echo-service', name: 'echo' });
    const { tid: server1 } = await first.result;
    expect(() => rt.listen('echo')).toThrow(AlreadyExistsError);          // a live server holds the name
    const clients = [0, 1, 2, 3].map((id) => runWorker<any>(rt, 'port-roles', { role: 'client', name: 'echo', id, count: 200, wait: true }));
    const served = await Promise.all(clients.map((c) => c.result));
    for (const s of served) expect(s).toEqual({ ok: 200, by: server1, peer: server1 });
    // kill the server: every connection fails with a clear error
    const failures = clients.map((c) => next(c.worker));
    await first.worker.terminate();
    for (const f of await Promise.all(failures)) expect(f).toEqual({ error: 'DeadPeerError', sendError: 'DeadPeerError' });
    await Promise.all(clients.map((c) => c.worker.terminate()));
    expect(() => rt.connect('echo', { timeout: 1000 })).toThrow(DeadPeerError);   // nobody listens now
    // a new server takes the name over; new clients reach it
    const second = runWorker<{ tid: number }>(rt, 'port-roles', { role: 'echo-service', name: 'echo' });
    const { tid: server2 } = await second.result;
    const again = [4, 5].map((id) => runWorker<any>(rt, 'port-roles', { role: 'client', name: 'echo', id, count: 50 }));
    for (const s of await Promise.all(again.map((c) => c.result))) expect(s).toEqual({ ok: 50, by: server2, peer: server2 });
    await Promise.all([...again.map((c) => c.worker), second.worker].map((w) => w.terminate()));
  });

  it('in one thread: accept, EOF on close, streams, timeouts and bad names', async () => {
    const rt = await Runtime.create();
    const server = rt.listen<string>('local', { codec: 'string' });
    expect(server.tryAccept()).toBeUndefined();
    expect(() => server.accept(10)).toThrow(TimeoutError);
    expect(() => rt.connect('nowhere')).toThrow(NotFoundError);
    expect(() => rt.connect('')).toThrow();
    rt.mutex('taken');
    expect(() => rt.listen('taken')).toThrow();                                    // exists as another kind
    // connect blocks until accepted: accept from an async task first
    const accepted = server.acceptAsync();
    const client = await rt.connectAsync<string>('local', { codec: 'string', timeout: 5000 });
    const conn = await accepted;
    expect(conn.peer).toBe(rt.threadId);
    client.send('ping');
    expect(conn.recv(1000)).toBe('ping');
    // streams
    const w = conn.writable.getWriter();
    await w.write('a'); await w.write('b'); await w.close();                     // closes the server's side
    const got: string[] = [];
    for await (const v of client.readable) got.push(v);
    expect(got).toEqual(['a', 'b']);
    expect(() => client.recv(0)).toThrow(ClosedError);                            // EOF
    client.close();
    expect(() => conn.recv(0)).toThrow(ClosedError);
    await expect(rt.connectAsync('local', { timeout: 20 })).rejects.toThrow(TimeoutError);  // nobody accepts
    server.close();
    expect(() => rt.connect('local')).toThrow(NotFoundError);
  });
});
