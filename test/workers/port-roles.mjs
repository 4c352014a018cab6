// Port, direct-message and delivery-confirmation roles for port.test.ts and services.test.ts.
import { parentPort } from 'node:worker_threads';
import { Runtime } from '../../dist/node/index.js';

const rt = await Runtime.attach();
rt.messageCodec = 'json';
const d = rt.data;
const report = (m) => parentPort.postMessage(m);
const fail = (e) => report({ error: e.name, message: e.message });

switch (d.role) {
  case 'server': {            // own a named port; answer calls with { ...value, by }, until 'stop'
    const port = rt.port(d.name, { codec: 'json' });
    report({ ready: true, tid: rt.threadId });
    for (;;) {
      const m = port.receive();
      if (m.value === 'stop') { if (m.owed) m.ack(); break; }
      if (m.value.hang) continue;         // never answered: the caller waits for our death
      m.reply({ ...m.value, by: rt.threadId });
    }
    report({ done: true });
    break;
  }
  case 'caller': {            // count calls to a named port, each reply checked
    const port = rt.port(d.name, { codec: 'json' });
    let ok = 0;
    for (let i = 0; i < d.count; i++) {
      const r = port.call({ id: d.id, i });
      if (r.id !== d.id || r.i !== i || typeof r.by !== 'number') throw new Error(`reply ${JSON.stringify(r)} to ${d.id}/${i}`);
      ok++;
    }
    report({ ok });
    break;
  }
  case 'call-until-dead': {   // call a named port until it fails: the server is killed meanwhile
    const port = rt.port(d.name, { codec: 'json' });
    let calls = 0;
    report({ ready: true });
    try {
      for (;;) {
        const r = port.call({ id: d.id, i: calls });
        if (r.id !== d.id || r.i !== calls) throw new Error(`reply ${JSON.stringify(r)} to ${d.id}/${calls}`);
        calls++;
      }
    } catch (e) { report({ calls, error: e.name }); }
    break;
  }
  case 'receive-foreign': {   // a port this thread does not own: receive fails, send works
    const port = rt.open(d.port);
    port.codec = rt.messageCodec;
    let error = null;
    try { port.tryReceive(); } catch (e) { error = e.name; }
    port.send({ from: rt.threadId });
    report({ error, tid: rt.threadId });
    break;
  }
  case 'send-ports': {        // one message to each port, a tag per port
    for (const [i, data] of d.ports.entries()) {
      const port = rt.open(data);
      port.codec = rt.messageCodec;
      if (d.delay) await new Promise((r) => setTimeout(r, d.delay));
      port.send({ port: i });
    }
    report({ sent: d.ports.length });
    break;
  }
  case 'direct': {            // count direct messages to thread d.to, numbered
    for (let i = 0; i < d.count; i++) rt.send(d.to, { from: d.id, i });
    report({ sent: d.count, tid: rt.threadId });
    break;
  }
  case 'take': {              // take one message of d.kind and ack it (or not: d.ack false)
    const flag = d.flag ? rt.open(d.flag) : null;
    const obj = d.kind === 'default' ? null : d.kind === 'port' ? rt.port(undefined, { codec: 'json' }) : rt.open(d.obj);
    if (obj) obj.codec = rt.messageCodec;
    report({ ready: true, tid: rt.threadId, port: d.kind === 'port' ? obj.toData() : undefined });
    let value;
    if (d.kind === 'channel') value = obj.recv();
    else if (d.kind === 'mqueue') value = obj.receive().value;
    else { const m = (obj ?? rt.defaultPort()).receive(); value = m.value; if (d.ack && m.owed) { flag?.store(1); m.ack(); } }
    if (d.kind !== 'port' && d.kind !== 'default' && d.ack && d.confirm === 'processed') { flag?.store(1); obj.ack(); }
    report({ value, tid: rt.threadId });
    if (!d.ack) setInterval(() => {}, 1000);   // hold it, unacknowledged, until terminated
    break;
  }
  case 'own-port': {          // make a port, hand it to the parent, then wait to be terminated
    const port = rt.port(undefined, { codec: 'json' });
    report({ port: port.toData(), tid: rt.threadId });
    setInterval(() => {}, 1000);   // alive until terminated
    break;
  }
  case 'echo-service': {       // listen on d.name; echo { ...v, by } on every connection
    const server = rt.listen(d.name, { codec: 'json' });
    report({ ready: true, tid: rt.threadId });
    setInterval(() => {}, 1000);
    for await (const conn of server) {
      void (async () => {
        try { for await (const v of conn) await conn.sendAsync({ ...v, by: rt.threadId }); } catch { /* the client died */ }
      })();
    }
    break;
  }
  case 'client': {            // connect, d.count round trips, then (d.wait) a receive that waits for the server's end
    const conn = rt.connect(d.name, { codec: 'json', timeout: 10_000 });
    let by = 0;
    for (let i = 0; i < d.count; i++) {
      conn.send({ id: d.id, i });
      const r = conn.recv(10_000);
      if (r.id !== d.id || r.i !== i) throw new Error(`echo ${JSON.stringify(r)} for ${d.id}/${i}`);
      by = r.by;
    }
    report({ ok: d.count, by, peer: conn.peer });
    if (d.wait) {
      let error = null;
      try { conn.recv(20_000); } catch (e) { error = e.name; }
      let sendError = null;
      try { conn.send({ late: true }); } catch (e) { sendError = e.name; }
      report({ error, sendError });
    }
    break;
  }
  default:
    throw new Error(`unknown role ${d.role}`);
}
