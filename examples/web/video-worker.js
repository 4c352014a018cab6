// The video pipeline's workers, by role:
//   render: draws animated frames (a moving plasma) into the "raw" frame pool, in place;
//   filter: takes each raw frame, writes an edge-lit copy into the "shown" pool, releases it.
// The page draws "shown" frames. Only slot numbers move between threads; no frame is copied
// on its way, except by the filter, whose job it is.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const { role, width, height } = rt.data;
const raw = rt.framePool('raw');
const shown = rt.framePool('shown');

if (role === 'render') {
  const rendered = rt.atomic('video-rendered');
  for (let k = 0; ; k++) {
    const f = raw.acquire();
    const px = f.as(Uint32Array);
    const t = k * 0.06;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = Math.sin(x * 0.03 + t) + Math.sin(y * 0.04 - t) + Math.sin((x + y) * 0.02 + 2 * t);
        const c = Math.floor((v + 3) * 42);
        px[y * width + x] = (255 << 24) | ((255 - c) << 16) | (((c * 2) & 255) << 8) | c;
      }
    }
    raw.publish(f, { k, at: performance.timeOrigin + performance.now() });
    rendered.add(1);
  }
} else {
  const filtered = rt.atomic('video-filtered');
  for (;;) {
    const src = raw.next();
    const dst = shown.acquire();
    const a = src.bytes, b = dst.bytes, row = width * 4;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - (a[i + 4] ?? a[i])) + Math.abs(a[i] - (a[i + row] ?? a[i]));
      b[i] = (i & 3) === 3 ? 255 : Math.min(255, a[i] * 0.6 + d * 3);
    }
    shown.publish(dst, src.meta);
    raw.release(src);
    filtered.add(1);
  }
}
