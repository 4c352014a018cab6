// Run in a clean project where only the packed tarball is installed (test/package.test.ts):
// a runtime, a worker spawned from this very file, a message each way.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

if (isMainThread) {
  const rt = await Runtime.create();
  const there = rt.channel('there', { codec: 'json' });
  const back = rt.channel('back', { codec: 'json' });
  const worker = rt.spawn(new URL(import.meta.url));
  there.send({ hello: 'worker', n: 41 });
  const reply = back.recv(10_000);
  console.log(JSON.stringify({ reply, main: rt.threadId, kinds: rt.list().map((o) => o.kind).sort() }));
  await worker.terminate();
} else {
  const rt = await Runtime.attach();
  const { hello, n } = rt.channel('there', { codec: 'json' }).recv(10_000);
  rt.channel('back', { codec: 'json' }).send({ from: hello, n: n + 1, tid: rt.threadId });
}
