// A Web Worker rendering 1080p RGBA frames in place into a frame pool for the page to draw.
// Pixel (x, y) of frame k is [x + 7k, y + 3k, x ^ y ^ k, 255] (bytes, mod 256).
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const { frames, width, height } = rt.data;
const pool = rt.framePool('video');
for (let k = 0; k < frames; k++) {
  const f = pool.acquire(20_000);
  const px = f.as(Uint32Array);                 // little-endian: R in the low byte
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      px[row + x] = (((x + 7 * k) & 255) | (((y + 3 * k) & 255) << 8) | (((x ^ y ^ k) & 255) << 16) | (255 << 24)) >>> 0;
    }
  }
  pool.publish(f, { k, width, height });
}
postMessage({ sent: frames });
