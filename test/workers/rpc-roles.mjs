// RPC roles for rpc.test.ts.
import { parentPort } from 'node:worker_threads';
import { Runtime, expose, wrapSync, currentCall } from '../../dist/node/index.js';

const rt = await Runtime.attach();
const d = rt.data;
const report = (m) => parentPort.postMessage(m);

if (d.role === 'callee') {
  const cancelled = rt.atomic('cancelled');
  const runs = rt.atomic('runs');
  const api = {
    add: (a, b) => a + b,
    echo: (x) => x,
    who: () => ({ caller: currentCall().caller, me: rt.threadId }),
    fail() { const e = new TypeError('bad thing'); e.code = 'E_BAD'; throw e; },
    throwValue() { throw { code: 42, why: 'not an Error' }; },
    once() { runs.add(1); return 'ran'; },
    async slow(ms) {
      const { signal } = currentCall();
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve('finished'), ms);
        signal.addEventListener('abort', () => { clearTimeout(t); cancelled.add(1); resolve('cancelled'); });
      });
    },
    hang: () => new Promise(() => {}),
    fn: () => () => 1,
  };
  expose(api, rt.port(d.name), { block: d.block });
  report({ ready: true, tid: rt.threadId });
} else if (d.role === 'caller') {
  const api = wrapSync(rt.port(d.name));
  let ok = 0;
  for (let i = 0; i < d.count; i++) {
    if (api.add(d.id * 1e7, i) !== d.id * 1e7 + i) throw new Error(`wrong result for ${d.id}/${i}`);
    ok++;
  }
  report({ ok });
}
