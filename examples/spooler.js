// node examples/spooler.js — the lecture notes' print-spooler race, then the same code fixed.
// Workers submit print jobs by reading the spooler's "next free slot" `in`, writing the job
// there, and storing in + 1. Two workers that read the same `in` overwrite each other's job:
// a lost print. With a mutex around the three steps, no job is lost.
import { isMainThread } from 'node:worker_threads';
import { Runtime } from 'wasm-ipc';

const WORKERS = 4, JOBS = 20000;

if (isMainThread) {
  const rt = await Runtime.create();
  for (const locked of [false, true]) {
    const spool = rt.shm(`spool-${locked}`, { size: 4 * (1 + WORKERS * JOBS) });   // [in][slots...]
    rt.mutex(`spool-lock-${locked}`);
    rt.barrier(`start-${locked}`, { parties: WORKERS });   // all submit at once
    const workers = Array.from({ length: WORKERS }, (_, id) => rt.spawn(new URL(import.meta.url), { data: { id, locked } }));
    await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
    const printed = spool.int32[0];
    console.log(`${locked ? 'with a mutex:   ' : 'without a lock: '}${printed} of ${WORKERS * JOBS} jobs in the spooler${printed < WORKERS * JOBS ? ` (${WORKERS * JOBS - printed} lost)` : ''}`);
  }
} else {
  const rt = await Runtime.attach();
  const { id, locked } = rt.data;
  const spool = rt.shm(`spool-${locked}`).int32;
  const lock = rt.mutex(`spool-lock-${locked}`);
  rt.barrier(`start-${locked}`).wait();
  for (let j = 0; j < JOBS; j++) {
    if (locked) lock.lock();
    const slot = spool[0];                          // read in: a plain load, as in the notes
    for (let k = 0; k < 200; k++);                  // the other process runs here
    spool[1 + slot] = id * JOBS + j;
    spool[0] = slot + 1;                            // in = in + 1
    if (locked) lock.unlock();
  }
}
