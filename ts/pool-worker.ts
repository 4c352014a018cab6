// The worker pool's bootstrap: a pool worker runs this (ts/pool-runner.ts, runPoolWorker).
import { runPoolWorker } from './pool-runner';

await runPoolWorker();
