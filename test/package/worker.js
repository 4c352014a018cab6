import { Runtime } from 'wasm-ipc';

const rt = await Runtime.attach();
const { hello, n } = rt.channel('there', { codec: 'json' }).recv(10_000);
rt.channel('back', { codec: 'json' }).send({ from: hello, n: n + 1, tid: rt.threadId });
