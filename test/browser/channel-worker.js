// A Web Worker sending strings (non-ASCII included) and JSON through channels to the page.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const words = rt.channel('words', { codec: 'string' });
for (const w of ['héllo', 'wörld', '✓ 日本語', 'x'.repeat(5000)]) words.send(w); // the last one travels in a heap block
words.close();
const objs = rt.channel('objs', { codec: 'msgpack' });
objs.send({ n: 1, when: new Date(0), list: [1, 2, 3] });
