// The NATS tests' common part: a real nats-server -js on 127.0.0.1 (a free port, a temp store
// dir) started by the test itself, forked child processes (test/nats/child.mjs), and the
// stopping of everything started. A missing nats-server FAILS the test, naming the setup command.
import { fork, type ChildProcess } from 'node:child_process';
import { beforeAll, afterAll } from 'vitest';
import { Runtime } from '../../dist/node/index.js';
import { Bridge } from '../../dist/node/nats.js';
// @ts-expect-error: a plain .mjs script
import { startNatsServer } from '../../scripts/nats-server.mjs';

export interface NatsServer { url: string; port: number; storeDir: string; stop(o?: { removeStore?: boolean }): Promise<void>; kill(): Promise<void> }
export const startServer = (o: { port?: number; storeDir?: string; maxPayload?: number } = {}): Promise<NatsServer> => startNatsServer(o);

const CHILD = new URL('./child.mjs', import.meta.url).pathname;

export interface Child { proc: ChildProcess; messages: any[]; ready: Promise<void>; exited: Promise<number | null> }

/** Fork test/nats/child.mjs in `role`; every IPC message it sends is pushed to messages and given to onMessage. */
export function forkChild(role: string, url: string, options: object, onMessage: (m: any) => void = () => {}): Child {
  const proc = fork(CHILD, [role, url, JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: any[] = [];
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  proc.on('message', (m: any) => { if (m.ready) ready(); else { messages.push(m); onMessage(m); } });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => { ready(); r(code); }));
  return { proc, messages, ready: readyP, exited };
}

/** SIGKILL (kill -9) and wait for the exit. */
export async function kill9(c: Child): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await c.exited;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms until true, or throw after `ms` naming `what`. */
export async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  for (const t = Date.now(); !cond(); await sleep(20)) if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
}

/** What a NATS test file shares: its server, a runtime and a bridge on it, and the children it forked. */
export interface NatsWorld { server: NatsServer; rt: Runtime; bridge: Bridge; children: Child[] }

/**
 * Start a server (with `serverOptions`), a runtime and a bridge named `name` before the file's
 * tests, and stop them after, with every child in `children` killed first. The fields are set
 * once the file's first beforeAll ran.
 */
export function natsSuite(name: string, serverOptions: Parameters<typeof startServer>[0] = {}): NatsWorld {
  const w = { children: [] as Child[] } as unknown as NatsWorld;
  beforeAll(async () => {
    w.server = await startServer(serverOptions);
    w.rt = await Runtime.create({ size: 1 << 20 });
    w.bridge = await Bridge.connect(w.rt, { servers: w.server.url, name });
  });
  afterAll(async () => {
    for (const c of w.children) await kill9(c);
    await w.bridge?.close();
    w.rt?.close();
    await w.server?.stop();
  });
  return w;
}
