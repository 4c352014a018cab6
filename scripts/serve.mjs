// A static file server for the repository with the cross-origin isolation headers that
// SharedArrayBuffer and shared WebAssembly.Memory need (COOP same-origin, COEP require-corp).
// ?isolated=0 on a page's URL serves it without them, to test the error a page then gets.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json', '.json': 'application/json' };

/** Serve the repository (or dir) on 127.0.0.1 (port 0: any free one). Resolves with { url, close }. */
export function serve(port = 0, dir = root) {
  if (!dir.endsWith('/')) dir += '/';
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = normalize(join(dir, decodeURIComponent(url.pathname), url.pathname.endsWith('/') ? 'index.html' : ''));
    if (!path.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(path);
      const headers = { 'content-type': types[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
      if (url.searchParams.get('isolated') !== '0') {
        headers['cross-origin-opener-policy'] = 'same-origin';
        headers['cross-origin-embedder-policy'] = 'require-corp';
        headers['cross-origin-resource-policy'] = 'same-origin';
      }
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) });
  }));
}

// node scripts/serve.mjs [PATH]: serve on $PORT (8080) and print PATH's address (npm run demo:web).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await serve(Number(process.env.PORT ?? 8080));
  const path = process.argv[2] ?? '/';
  console.log(`serving the repository, cross-origin isolated: open ${url}${path}  (Ctrl-C stops)`);
}
