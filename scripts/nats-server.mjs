// A real nats-server with JetStream, on 127.0.0.1, for the tests, the NATS bench cases and
// examples/cluster.mjs: a free port (or the one given), a store directory (a fresh temporary
// one unless given: a restart passes the same one back), started and stopped by the caller.
// Debian puts nats-server in /usr/sbin, which a user's PATH may not hold: found with setup.mjs's which().
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which, missingMessage, NEEDS } from './setup.mjs';

/** A free TCP port on 127.0.0.1 (the kernel's choice; closed again before returning). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const accepts = (port) => new Promise((resolve) => {
  const c = connect(port, '127.0.0.1');
  c.once('data', (d) => { c.destroy(); resolve(d.toString().startsWith('INFO')); });
  c.once('error', () => resolve(false));
});

/**
 * Start `nats-server -js` on 127.0.0.1. Resolves once it accepts connections (its INFO line
 * came back) with { url, port, storeDir, stop(), kill() }. Throws naming the install command
 * when nats-server is missing. `maxPayload` sets the server's max_payload (bytes).
 */
export async function startNatsServer({ port, storeDir, maxPayload, keepStore = false } = {}) {
  const bin = which('nats-server');
  if (!bin) throw new Error(`the NATS tests, bench cases and examples/cluster.mjs need a real nats-server: ${missingMessage(NEEDS.filter((n) => n.program === 'nats-server'))}; npm run setup does it`);
  port ??= await freePort();
  const ownStore = storeDir === undefined;
  storeDir ??= mkdtempSync(join(tmpdir(), 'wasm-ipc-nats-'));
  const args = ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)];
  if (maxPayload !== undefined) {
    // max_payload has no command-line flag: a one-line config file beside the store
    const { writeFileSync } = await import('node:fs');
    const conf = join(storeDir, 'nats.conf');
    writeFileSync(conf, `max_payload: ${maxPayload}\n`);
    args.push('-c', conf);
  }
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log = (log + d).slice(-4000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let t = Date.now(); ; await new Promise((r) => setTimeout(r, 25))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode} before accepting: ${log}`);
    if (await accepts(port)) break;
    if (Date.now() - t > 10_000) { child.kill('SIGKILL'); throw new Error(`nats-server did not accept on ${port} within 10 s: ${log}`); }
  }
  const server = {
    url: `nats://127.0.0.1:${port}`, port, storeDir, pid: child.pid,
    get log() { return log; },
    /** SIGTERM (a clean shutdown, JetStream's store flushed), then wait for the exit. */
    async stop({ removeStore = ownStore && !keepStore } = {}) {
      if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; }
      if (removeStore) rmSync(storeDir, { recursive: true, force: true });
    },
    /** SIGKILL: a crash. The store stays. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
    },
  };
  return server;
}
