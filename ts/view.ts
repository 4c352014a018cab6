// The live IPC view: rt.list() drawn over time. Queue depths as lines, and per object its
// waiters, owner and how often its lock was found contended. People would rather look than read.
//
// One client (viewClient, plain DOM and SVG, no imports) draws it in two places:
//   serveView(rt)        Node: an HTTP server on 127.0.0.1 whose page polls GET /state;
//   mountView(rt, el)    a browser page: the same view, polling the page's own runtime.
// The view only reads: it takes no lock and adds no waiter.
import type { Runtime } from './runtime';
import { nodeBuiltin } from './platform';
import { describe, checkInt } from './errors';

/** One poll of the view: every object's ipcs row, and the thread count. */
export interface ViewState {
  t: number;
  threads: number;
  objects: { id: string; segment: string; name: string | null; kind: string; state: Record<string, number> }[];
}

export interface ViewOptions {
  /** Milliseconds between polls. Default 250. */
  interval?: number;
}

export interface ServeViewOptions extends ViewOptions {
  /** TCP port (0, the default: any free one). */
  port?: number;
  /** Address to listen on. Default 127.0.0.1: the view shows names and owners, keep it local. */
  host?: string;
}

export interface ViewServer {
  /** The page's address. */
  url: string;
  close(): Promise<void>;
}

export function viewState(rt: Runtime): ViewState {
  return {
    t: Date.now(),
    threads: rt.threads().length,
    objects: rt.list().map((o) => ({ id: `${o.segment}/${o.offset}/${o.serial}`, segment: o.segment, name: o.name, kind: o.kind, state: o.state })),
  };
}

function checkInterval(options: ViewOptions): number {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  const interval = options.interval ?? 250;
  if (typeof interval !== 'number') throw new TypeError(`interval must be a number of ms, got ${describe(interval)}`);
  if (!(interval >= 20 && interval <= 60_000)) throw new RangeError(`interval must be 20 to 60000 ms, got ${interval}`);
  return interval;
}

/** Serve the live view of rt (Node). Resolves once listening; close() stops it. */
export function serveView(rt: Runtime, options: ServeViewOptions = {}): Promise<ViewServer> {
  const interval = checkInterval(options);
  const http = nodeBuiltin<typeof import('node:http')>('node:http');
  if (!http) throw new TypeError('serveView needs Node (node:http); in a page, use mountView(rt, element)');
  const port = options.port ?? 0;
  checkInt(port, 'port', 0, 65535);
  const page = `<!doctype html><meta charset="utf-8"><title>wasm-ipc: live IPC view</title><body>
<script>(${viewClient.toString()})(document.body, () => fetch('/state').then((r) => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); }), ${interval});</script>`;
  const server = http.createServer((req, res) => {
    if (req.url === '/state') {
      let body: string;
      try { body = JSON.stringify(viewState(rt)); } catch (e) { res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e)); return; }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
    } else if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => {
      const addr = server.address() as { address: string; port: number };
      const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
      resolve({ url: `http://${host}:${addr.port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

/** Draw the live view of rt into element (a browser page). Returns a function that stops it. */
export function mountView(rt: Runtime, element: HTMLElement, options: ViewOptions = {}): () => void {
  const interval = checkInterval(options);
  if (typeof document === 'undefined' || !(element instanceof HTMLElement)) throw new TypeError(`element must be an HTMLElement of a page, got ${describe(element)}`);
  return viewClient(element, async () => viewState(rt), interval);
}

/**
 * The view itself. Self-contained (serveView sends its source to the page): no imports, no
 * closure over this module.
 */
function viewClient(root: HTMLElement, poll: () => Promise<ViewState>, interval: number): () => void {
  const HISTORY = 120, WINDOW = 40, W = 640, H = 160;
  const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  type Row = { name: string; kind: string; depth: number[]; busy: number[]; last: ViewState['objects'][number]; seen: number };
  const rows = new Map<string, Row>();
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const depthOf = (kind: string, s: Record<string, number>): number | undefined =>
    kind === 'channel' ? s.depth : kind === 'mqueue' || kind === 'port' ? s.messages : kind === 'framepool' ? s.ready : kind === 'pipe' ? s.chunks : undefined;
  const waitersOf = (s: Record<string, number>): number =>
    ['waiters', 'waiting', 'receiversWaiting', 'sendersWaiting', 'readersWaiting', 'writersWaiting'].reduce((n, k) => n + (s[k] ?? 0), 0);
  const ownerOf = (s: Record<string, number>): number => s.owner || s.writer || s.runner || 0;
  const spark = (values: number[], color: string, w: number, h: number): string => {
    const max = Math.max(1, ...values);
    const pts = values.map((v, i) => `${((i / (HISTORY - 1)) * w).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`;
  };

  root.innerHTML = `<style>
    .ipcv { font: 13px system-ui, sans-serif; color: #111; margin: 12px; }
    .ipcv h1 { font-size: 18px; margin: 0 0 4px; } .ipcv h2 { font-size: 14px; margin: 14px 0 4px; }
    .ipcv table { border-collapse: collapse; } .ipcv td, .ipcv th { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: left; }
    .ipcv td.n { text-align: right; font-variant-numeric: tabular-nums; } .ipcv svg { background: #fafafa; border: 1px solid #ddd; }
    .ipcv .legend span { margin-right: 12px; } .ipcv .hot { color: #dc2626; font-weight: 600; }
  </style><div class="ipcv"><h1>wasm-ipc · live IPC view</h1><div data-testid="meta">connecting…</div>
  <h2>Queue depths over time</h2><svg data-testid="depths" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"></svg><div class="legend" data-testid="legend"></div>
  <h2>Objects</h2><table data-testid="objects"><thead><tr><th>name</th><th>kind</th><th>depth</th><th>waiters</th><th>owner</th><th>contention</th><th>over time</th><th>state</th></tr></thead><tbody></tbody></table></div>`;
  const meta = root.querySelector('[data-testid="meta"]')!;
  const chart = root.querySelector('[data-testid="depths"]')!;
  const legend = root.querySelector('[data-testid="legend"]')!;
  const body = root.querySelector('tbody')!;
  let samples = 0, stopped = false, timer: ReturnType<typeof setTimeout> | undefined;

  const draw = (s: ViewState): void => {
    samples++;
    for (const o of s.objects) {
      let r = rows.get(o.id);
      if (!r) rows.set(o.id, (r = { name: o.name ?? `(unnamed @${o.id.split('/')[1]})`, kind: o.kind, depth: new Array(HISTORY).fill(0), busy: new Array(HISTORY).fill(0), last: o, seen: 0 }));
      r.last = o;
      r.seen = samples;
      r.depth.push(depthOf(o.kind, o.state) ?? 0); r.depth.shift();
      r.busy.push(o.state.contended || waitersOf(o.state) > 0 ? 1 : 0); r.busy.shift();
    }
    for (const [id, r] of rows) if (r.seen !== samples) rows.delete(id);   // removed
    const queues = [...rows.values()].filter((r) => depthOf(r.kind, r.last.state) !== undefined).slice(0, COLORS.length);
    chart.innerHTML = queues.map((r, i) => spark(r.depth, COLORS[i]!, W, H)).join('');
    legend.innerHTML = queues.map((r, i) => `<span style="color:${COLORS[i]}">■ ${esc(r.name)} (${r.depth[HISTORY - 1]})</span>`).join('');
    body.innerHTML = [...rows.values()].map((r) => {
      const st = r.last.state;
      const depth = depthOf(r.kind, st);
      const waiters = waitersOf(st);
      const recent = r.busy.slice(-Math.min(WINDOW, samples));
      const contention = Math.round((100 * recent.reduce((a, b) => a + b, 0)) / recent.length);
      const line = depth !== undefined ? r.depth : r.busy;
      return `<tr data-name="${esc(r.name)}"><td>${esc(r.name)}</td><td>${r.kind}</td><td class="n">${depth ?? ''}</td>` +
        `<td class="n${waiters ? ' hot' : ''}">${waiters}</td><td class="n">${ownerOf(st) || ''}</td>` +
        `<td class="n${contention >= 50 ? ' hot' : ''}">${contention}%</td>` +
        `<td><svg width="120" height="20" viewBox="0 0 120 20">${spark(line, depth !== undefined ? '#2563eb' : '#dc2626', 120, 20)}</svg></td>` +
        `<td>${esc(Object.entries(st).map(([k, v]) => `${k} ${v}`).join(', '))}</td></tr>`;
    }).join('');
    meta.textContent = `${s.objects.length} objects, ${s.threads} threads · sample ${samples} every ${interval} ms · ${new Date(s.t).toLocaleTimeString()}`;
    meta.setAttribute('data-samples', String(samples));
  };
  const tick = async (): Promise<void> => {
    try { draw(await poll()); } catch (e) { meta.textContent = `not connected: ${e}`; }
    if (!stopped) timer = setTimeout(tick, interval);
  };
  void tick();
  return () => { stopped = true; clearTimeout(timer); };
}
