// A forked process of the NATS tests: joins the cluster with its own runtime and bridge, then
// plays one role, reporting to its parent by IPC (process.send).
//   stage     take() from channel `from`, forward the value to `to` with msgId = the input's id, then ack
//             (the dedupe on msgId makes a forward redone after a kill land once)
//   receiver  recvAsync() from `from`, report each value
//   rpc       expose { add, whoami, fail, slow } on bridged port `port`, reporting callee aborts
//   producer  sendAsync() ids start.. start+count-1 to `to` with msgId `p-<id>`, reporting each acknowledged one
import { Runtime, currentCall } from 'wasm-ipc';
import { Bridge, expose } from 'wasm-ipc/nats';

const [role, url, json] = process.argv.slice(2);
const o = JSON.parse(json);
const rt = await Runtime.create({ size: 1 << 20 });
const bridge = await Bridge.connect(rt, { servers: url, name: `${role}-${process.pid}` });
const opts = { codec: 'json', ackWait: o.ackWait ?? 1000, capacity: o.capacity ?? 100_000 };
process.send({ ready: true });
if (role === 'stage') {
  const from = await bridge.channel(o.from, opts);
  const to = await bridge.channel(o.to, opts);
  for (;;) {
    const m = await from.take();
    await to.sendAsync(m.value, { msgId: m.id });
    await m.ack();
    process.send({ done: m.value });
  }
} else if (role === 'receiver') {
  const from = await bridge.channel(o.from, opts);
  for await (const v of from) process.send({ got: v });
  process.send({ end: true });
  await bridge.close();
  process.exit(0);
} else if (role === 'rpc') {
  const port = bridge.port(o.port);
  expose({
    add: (a, b) => a + b,
    whoami: () => process.pid,
    fail: () => { const e = new RangeError('bad value'); e.detail = 7; throw e; },
    slow(ms) {
      const { signal } = currentCall();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve('finished'), ms);
        signal.addEventListener('abort', () => { clearTimeout(t); process.send({ aborted: signal.reason.name }); reject(signal.reason); });
      });
    },
  }, port);
  await bridge.nc.flush();                   // the server has the subscription before the parent calls
  process.send({ serving: true });
} else if (role === 'subscriber') {
  const topic = bridge.topic(o.topic, o.policy === 'block' ? { codec: 'json', policy: 'block', capacity: o.capacity } : { codec: 'json' });
  const sub = await topic.subscribe(o.key === undefined ? {} : { key: o.key });
  process.send({ subscribed: true });
  if (o.hold) await new Promise(() => {});   // subscribed, never reading: holds a 'block' topic's publishers back until killed
  const got = [];
  for await (const m of sub) { got.push([m.value, m.key]); if (got.length === o.count) break; }
  process.send({ got });
  await bridge.close();
  process.exit(0);
} else if (role === 'mqreceiver') {
  const mq = await bridge.messageQueue(o.mq, { codec: 'json' });
  const got = [];
  while (got.length < o.count) { const { value, priority } = await mq.receiveAsync(); got.push([value, priority]); }
  process.send({ got });
  await bridge.close();
  process.exit(0);
} else if (role === 'poolserver') {
  await bridge.workerPool(o.pool, { filename: new URL('./tasks.mjs', import.meta.url), size: 2, ackWait: 1000 });
  process.send({ serving: true });
} else if (role === 'producer') {
  const to = await bridge.channel(o.to, opts);
  for (let id = o.start; id < o.start + o.count; id++) {
    await to.sendAsync(id, { msgId: `p-${id}` });
    process.send({ acked: id });
  }
  process.send({ end: true });
  await bridge.close();
  process.exit(0);
}
