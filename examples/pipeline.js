// node examples/pipeline.js — `ls | grep | sort` with workers joined by pipes: a lister
// writes lines, a filter keeps those matching, a sorter reads to end-of-file and prints.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

if (isMainThread) {
  const rt = await Runtime.create();
  rt.pipe('ls-grep');
  rt.pipe('grep-sort');
  const stages = ['ls', 'grep', 'sort'].map((stage) => rt.spawn(new URL(import.meta.url), { data: { stage } }));
  await Promise.all(stages.map((w) => new Promise((r) => w.once('exit', r))));
} else {
  const rt = await Runtime.attach();
  const enc = new TextEncoder(), dec = new TextDecoder();
  const lines = async function* (reader) {             // read to EOF, split into lines
    let rest = '';
    for (let chunk = reader.read(); chunk !== null; chunk = reader.read()) {
      const parts = (rest + dec.decode(chunk)).split('\n');
      rest = parts.pop();
      yield* parts;
    }
    if (rest) yield rest;
  };
  const { stage } = rt.data;
  if (stage === 'ls') {
    const out = rt.pipe('ls-grep').writer();
    for (const f of ['zebra.js', 'notes.txt', 'alpha.js', 'mango.js', 'README.md', 'beta.js']) out.write(enc.encode(f + '\n'));
    out.close();                                       // EOF for grep
  } else if (stage === 'grep') {
    const inp = rt.pipe('ls-grep').reader(), out = rt.pipe('grep-sort').writer();
    for await (const line of lines(inp)) if (line.endsWith('.js')) out.write(enc.encode(line + '\n'));
    out.close();
  } else {
    const all = [];
    for await (const line of lines(rt.pipe('grep-sort').reader())) all.push(line);
    console.log(all.sort().join('\n'));
  }
}
