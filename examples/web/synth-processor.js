// The AudioWorklet side of the synth: each quantum, one block from the ring, copied straight
// into the output (tryRecvInto: one attempt, never waits: a worklet may not block). No block
// there (once sound has started) is an underrun: silence, counted.
import { Runtime } from '/dist/browser/index.js';

class Synth extends AudioWorkletProcessor {
  constructor(options) {
    super();
    Runtime.attach(options.processorOptions.handle).then((rt) => {
      this.ring = rt.channel('synth-ring');
      this.ring.registerAs('receiver');
      this.played = rt.atomic('synth-played');
      this.underruns = rt.atomic('synth-underruns');
      this.port.postMessage('ready');
    });
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.ring) return true;
    if (this.ring.tryRecvInto(new Uint8Array(out.buffer, out.byteOffset, out.byteLength)) >= 0) this.played.add(1);
    else if (this.played.load() > 0) this.underruns.add(1);           // (silence before the first block is no underrun)
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    return true;
  }
}

registerProcessor('synth', Synth);
