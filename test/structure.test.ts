// The core's layering (docs/DESIGN.md, "The layers"): no import cycle in assembly/.
import { it, expect } from 'vitest';
import { importGraph, findCycle } from '../scripts/check-imports.mjs';

it('assembly/ has no import cycle: every file imports only layers below it', () => {
  const graph = importGraph();
  expect(graph.size).toBeGreaterThan(30);
  expect(graph.get('threads')).toContain('port');     // the thread life cycle sits above ports
  expect(graph.get('futex')).not.toContain('threads'); // the futex reads only the slot layout
  expect(findCycle(graph)).toBeNull();
});

it('the checker finds a cycle when there is one', () => {
  expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', []]]))).toEqual(['a', 'b', 'c', 'a']);
  expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeNull();
});
