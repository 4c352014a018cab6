// An AudioWorklet processor fed from a Web Worker: the left channel through a wait-free SPSC
// channel (bytes copied straight into the output block), the right through a frame pool
// (the block read in place, then released). A worklet may not block and has no fetch: the
// compiled core and the memories arrive in processorOptions.handle; only the try forms run
// in process().
import { Runtime } from '/dist/browser/index.js';

class Feed extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.underruns = 0;
    this.blocks = 0;
    Runtime.attach(options.processorOptions.handle).then((rt) => {
      this.rt = rt;
      this.ring = rt.channel('audio-ring');
      this.ring.registerAs('receiver');
      this.pool = rt.framePool('audio-frames');
      let blocking = '';
      try { this.ring.recv(); } catch (e) { blocking = e.name; }
      this.port.postMessage({ ready: true, threadId: rt.threadId, blocking });
    }, (e) => this.port.postMessage({ error: `${e.name}: ${e.message}` }));
    this.port.onmessage = () => this.port.postMessage({ underruns: this.underruns, blocks: this.blocks });
  }

  process(_inputs, outputs) {
    const [left, right] = outputs[0];
    if (!this.rt) { this.underruns++; return true; }
    const got = this.ring.tryRecvInto(new Uint8Array(left.buffer, left.byteOffset, left.byteLength));
    const frame = this.pool.tryNext();
    if (frame) {
      right.set(frame.as(Float32Array));
      this.pool.release(frame);
    }
    if (got < 0 || !frame) this.underruns++;
    this.blocks++;
    return true;
  }
}

registerProcessor('feed', Feed);
