// Bundled by esbuild in the clean project (test/package.test.ts), from the installed package:
// the page makes a runtime, spawns a worker (worker.js, bundled too), a message each way.
import { Runtime } from 'wasm-ipc';

window.result = (async () => {
  const rt = await Runtime.create();
  const there = rt.channel('there', { codec: 'json' });
  const back = rt.channel('back', { codec: 'json' });
  rt.spawn('./worker.js');
  there.send({ hello: 'web worker', n: 41 });
  const reply = await back.recvAsync({ timeout: 10_000 });
  return { reply, isolated: crossOriginIsolated };
})().catch((e) => ({ error: `${e.name}: ${e.message}` }));
