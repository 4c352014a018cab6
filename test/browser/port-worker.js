// A Web Worker serving calls on a port it owns, and sending direct messages to the page.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
rt.messageCodec = 'json';
const port = rt.port('adder', { codec: 'json' });
rt.send(rt.data.page, { ready: true });                      // direct message to the page's default port
for (;;) {
  const m = port.receive();                                  // blocking: a worker may
  if (m.value === 'stop') { m.ack(); break; }
  m.reply(m.value.a + m.value.b);
}
