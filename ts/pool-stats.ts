// The worker pool's figures (pool.stats()): tasks completed and failed, the workers' busy
// time, and the last SAMPLES waits and run times, for percentiles.
import { now } from './platform';

export interface Percentiles { p50: number; p90: number; p99: number }
export interface PoolStats {
  workers: number;
  /** Share of the workers' time spent running tasks since the pool started (0–1). */
  utilization: number;
  /** Tasks waiting to start. */
  queueDepth: number;
  completed: number;
  failed: number;
  /** ms from run() to the task's start, and from its start to its end (last 10 000 tasks). */
  waitMs: Percentiles;
  runMs: Percentiles;
}

const SAMPLES = 10_000;

/** One pool's figures, counted as its tasks end. */
export class PoolCounters {
  readonly #t0 = now();
  #busy = 0;
  #completed = 0;
  #failed = 0;
  readonly #wait = new Samples();
  readonly #run = new Samples();

  /** A worker reported a task's end: it ran runMs, and waited the rest of the time since queuedAt. */
  ended(queuedAt: number, runMs: number, ok: boolean): void {
    this.#busy += runMs;
    this.#run.add(runMs);
    this.#wait.add(Math.max(0, now() - queuedAt - runMs));
    if (ok) this.#completed++;
    else this.#failed++;
  }

  /** A task failed without a worker's report (aborted, its worker died, the pool destroyed). */
  failed(): void { this.#failed++; }

  stats(workers: number, size: number, queueDepth: number): PoolStats {
    const elapsed = Math.max(1e-9, now() - this.#t0);
    return {
      workers,
      utilization: Math.min(1, this.#busy / (elapsed * size)),
      queueDepth,
      completed: this.#completed,
      failed: this.#failed,
      waitMs: this.#wait.percentiles(),
      runMs: this.#run.percentiles(),
    };
  }
}

/** The last SAMPLES values, for percentiles. */
class Samples {
  readonly #xs = new Float64Array(SAMPLES);
  #n = 0;
  add(x: number): void { this.#xs[this.#n++ % SAMPLES] = x; }
  percentiles(): Percentiles {
    const n = Math.min(this.#n, SAMPLES);
    if (n === 0) return { p50: 0, p90: 0, p99: 0 };
    const s = this.#xs.slice(0, n).sort();
    const at = (q: number): number => s[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
  }
}
