// node examples/services.mjs: ports, calls and a service with fail-over.
// A worker serves the name "kv" (a tiny key-value store) over connections; another answers
// calls on a port. The main thread calls, connects, kills the kv server, and connects to its
// replacement.
import { isMainThread } from 'node:worker_threads';
import { Runtime, DeadPeerError } from 'wasm-ipc';

if (isMainThread) {
  const rt = await Runtime.create({ size: 1 << 20 });
  const spawn = (role) => new Promise((resolve) => {
    const w = rt.spawn(new URL(import.meta.url), { data: { role } });
    w.once('message', () => resolve(w));          // "ready"
  });

  // msg_rpc: call a port another thread owns; it replies
  const adderWorker = await spawn('adder');
  const adder = rt.port('adder', { codec: 'json' });
  console.log('2 + 3 =', adder.call({ a: 2, b: 3 }));
  const { receiver } = adder.deliver({ a: 0, b: 0 }, { confirm: 'received' });
  console.log(`a delivery confirmed as received by thread ${receiver}`);

  // a service: connect, talk, lose the server, reconnect to the next one
  let server = await spawn('kv');
  let conn = rt.connect('kv', { codec: 'json' });
  conn.send({ set: 'colour', to: 'teal' });
  conn.send({ get: 'colour' });
  console.log('kv says', conn.recv(), `(server thread ${conn.peer})`);
  await server.terminate();
  try { conn.recv(); } catch (e) { console.log('after the kill:', e instanceof DeadPeerError ? 'DeadPeerError' : e); }
  server = await spawn('kv');                     // listens on the same name: fail-over
  conn = rt.connect('kv', { codec: 'json' });
  conn.send({ get: 'colour' });
  console.log('the new server says', conn.recv(), `(server thread ${conn.peer})`);
  conn.close();
  await Promise.all([server.terminate(), adderWorker.terminate()]);
} else {
  const { parentPort } = await import('node:worker_threads');
  const rt = await Runtime.attach();
  if (rt.data.role === 'adder') {
    const port = rt.port('adder', { codec: 'json' });
    parentPort.postMessage('ready');
    for (;;) {
      const m = port.receive();
      if (m.owed) m.reply(m.value.a + m.value.b);
    }
  } else {
    const server = rt.listen('kv', { codec: 'json' });
    parentPort.postMessage('ready');
    const store = new Map();
    for await (const conn of server) {
      void (async () => {
        for await (const req of conn) {
          if ('set' in req) store.set(req.set, req.to);
          else await conn.sendAsync({ [req.get]: store.get(req.get) ?? null });
        }
      })();
    }
  }
}
