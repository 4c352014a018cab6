// The synth: a Web Worker making sound block by block (128 samples, the AudioWorklet's
// quantum) into an SPSC channel. send() blocks while the ring is full, so the worklet's pace
// (the sound card's clock) paces this worker: backpressure, no timer.
import { Runtime } from '/dist/browser/index.js';

const rt = await Runtime.attach();
const { sampleRate } = rt.data;
const ring = rt.channel('synth-ring');
ring.registerAs('sender');
const made = rt.atomic('synth-blocks');
const notes = [0, 4, 7, 12, 7, 4, 0, -5, -3, 0, 4, 9, 7, 4, 2, 0];    // semitones from A3
const noteLength = Math.round(sampleRate * 0.22);
const block = new Float32Array(128);
let t = 0, phase = 0;
for (;;) {
  for (let j = 0; j < 128; j++, t++) {
    const n = Math.floor(t / noteLength), inNote = t % noteLength;
    const freq = 220 * 2 ** (notes[n % notes.length] / 12);
    phase += (2 * Math.PI * freq) / sampleRate;
    const envelope = Math.min(1, inNote / 200) * Math.exp(-inNote / (sampleRate * 0.12));
    block[j] = 0.25 * envelope * (Math.sin(phase) + 0.3 * Math.sin(2 * phase));
  }
  ring.send(new Uint8Array(block.buffer));
  made.add(1);
}
