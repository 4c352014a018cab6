// A Web Worker exposing an API on a port it owns (blocking receive: it only serves).
import { Runtime, expose } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const port = rt.port('calc');
expose({ mul: (a, b) => a * b, fail() { throw new SyntaxError('nope'); } }, port, { block: true });
rt.messageCodec = 'json';
rt.send(rt.data.page, 'ready');
