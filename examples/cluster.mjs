// Across processes: a producer process and two worker processes on one host sharing a bridged
// channel of jobs (a JetStream work queue), a bridged channel of results, and a bridged worker
// pool (each worker process serves it with one worker thread; the producer runs tasks on it).
// Each job goes to exactly one worker; a worker forwards its result with the job's message id
// before acknowledging the job, so a worker killed mid-job costs nothing: the job is
// redelivered, and a result sent twice is stored once.
//
//   node examples/cluster.mjs                        starts its own nats-server -js on 127.0.0.1
//   NATS_URL=nats://host:4222 node examples/cluster.mjs   uses a running server or cluster
import { fork } from 'node:child_process';
import { Runtime } from 'wasm-ipc';
import { Bridge } from 'wasm-ipc/nats';

const JOBS = 2000;
const [role, url] = process.argv.slice(2);

async function join(name) {
  const rt = await Runtime.create({ size: 1 << 20 });
  const bridge = await Bridge.connect(rt, { servers: url, name });
  const jobs = await bridge.channel('cluster-jobs', { codec: 'json', ackWait: 2000 });
  const results = await bridge.channel('cluster-results', { codec: 'json' });
  return { rt, bridge, jobs, results };
}

if (role === 'worker') {
  const { bridge, jobs, results } = await join(`worker-${process.pid}`);
  await bridge.workerPool('cluster-pool', { filename: new URL('./cluster-tasks.mjs', import.meta.url), size: 1 });
  for (;;) {
    const job = await jobs.take().catch(() => undefined);
    if (!job) break;                                     // the channel was closed and drained
    await results.sendAsync({ n: job.value.n, square: job.value.n ** 2, by: process.pid }, { msgId: job.id });
    await job.ack();
  }
  process.exit(0);
} else if (role === 'producer') {
  const { bridge, jobs } = await join('producer');
  const pool = await bridge.workerPool('cluster-pool');             // runs tasks, serves none
  const primes = pool.run('isPrime', [1_000_003]).then(async (first) => {
    const all = await Promise.all(Array.from({ length: 200 }, (_, k) => pool.run('isPrime', [k])));
    return [first, all.filter(Boolean).length];
  });
  for (let n = 0; n < JOBS; n++) await jobs.sendAsync({ n }, { msgId: `job-${n}` });
  const [big, below200] = await primes;
  console.log(`\npool: 1000003 is ${big ? '' : 'not '}prime; ${below200} primes below 200 (tasks run by the worker processes' threads)`);
  await jobs.close();                                    // workers drain, then stop
  await bridge.close();
  process.exit(0);
} else {
  // the coordinator: a server unless NATS_URL, the producer and two workers, the progress line
  let server;
  let servers = process.env.NATS_URL;
  if (!servers) {
    const { startNatsServer } = await import('../scripts/nats-server.mjs');
    server = await startNatsServer();
    servers = server.url;
  }
  const self = new URL(import.meta.url).pathname;
  const rt = await Runtime.create({ size: 1 << 20 });
  const bridge = await Bridge.connect(rt, { servers, name: 'coordinator' });
  for (const name of ['cluster-jobs', 'cluster-results', 'pool-cluster-pool']) await (await bridge.channel(name)).unlink();   // a fresh start
  const results = await bridge.channel('cluster-results', { codec: 'json' });
  await bridge.channel('cluster-jobs', { codec: 'json', ackWait: 2000 });
  const workers = [fork(self, ['worker', servers]), fork(self, ['worker', servers])];
  const producer = fork(self, ['producer', servers]);
  const by = new Map();
  const seen = new Set();
  let wrong = 0;
  const t = Date.now();
  while (seen.size < JOBS) {
    const r = await results.recvAsync();
    if (r.square !== r.n ** 2 || seen.has(r.n)) wrong++;
    seen.add(r.n);
    by.set(r.by, (by.get(r.by) ?? 0) + 1);
    if (seen.size % 100 === 0 || seen.size === JOBS) {
      process.stdout.write(`\r${seen.size}/${JOBS} results, ${[...by.values()].join(' + ')} by ${by.size} workers, ${Math.round(seen.size / ((Date.now() - t) / 1000))} jobs/s   `);
    }
  }
  await Promise.all([producer, ...workers].map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)))));
  console.log(`\n${JOBS} jobs, each done once by one of ${workers.length} worker processes: ${wrong === 0 ? 'ok' : `${wrong} wrong`}`);
  for (const name of ['cluster-jobs', 'cluster-results', 'pool-cluster-pool']) await (await bridge.channel(name)).unlink();
  await bridge.close();
  rt.close();
  await server?.stop();
}
