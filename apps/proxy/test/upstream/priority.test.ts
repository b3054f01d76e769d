import { describe, expect, it } from 'vitest';
import { choosePriority, priorityLoads } from '../../src/upstream/priority.js';

describe("Envoy's priority load with overprovisioning factor 1.4", () => {
  it.each([
    // healthy/total per priority -> loads (Envoy's documented examples)
    [
      [10, 10],
      [10, 10],
      [100, 0],
    ],
    [
      [8, 10],
      [10, 10],
      [100, 0],
    ], // 80% * 1.4 = 112% -> capped 100
    [
      [7, 10],
      [10, 10],
      [98, 2],
    ],
    [
      [5, 10],
      [10, 10],
      [70, 30],
    ],
    [
      [0, 10],
      [10, 10],
      [0, 100],
    ],
    [[2, 2], [10, 10], [28, 28].map((h) => (h * 100) / 56)], // total health 56% < 100: normalised
    [
      [0, 0],
      [10, 10],
      [0, 0],
    ],
  ])('healthy %j of %j -> %j', (healthy, total, expected) => {
    const loads = priorityLoads(healthy, total, 140);
    for (const [i, l] of loads.entries()) expect(l).toBeCloseTo(expected[i]!, 6);
  });

  it('picks the priority by load', () => {
    expect(choosePriority([70, 30], 0.1)).toBe(0);
    expect(choosePriority([70, 30], 0.75)).toBe(1);
    expect(choosePriority([0, 100], 0)).toBe(1);
  });
});
