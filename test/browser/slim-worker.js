// A Web Worker on the slim build: it never fetches the core, the spawn handle carries it.
import { Runtime } from '/dist/browser/slim.js';

const rt = await Runtime.attach();
rt.channel('slim', { codec: 'string' }).send(`hello from thread ${rt.threadId}`);
