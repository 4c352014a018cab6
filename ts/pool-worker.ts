// The worker pool's bootstrap: a pool worker runs this (ts/pool.ts, runPoolWorker).
import { runPoolWorker } from './pool';

await runPoolWorker();
