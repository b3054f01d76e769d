// Envoy's priority load: each priority's health is min(100, overprovisioning * healthy / total); load
// goes to P0 up to its health, the rest spills to P1, and so on. When total health is below 100 the
// loads are normalised so all traffic still lands somewhere.

/** `healthy[i]`/`total[i]` per priority; factor in percent (140 = Envoy's 1.4). Returns loads summing to 100 (or all 0). */
export function priorityLoads(
  healthy: readonly number[],
  total: readonly number[],
  factor: number,
): number[] {
  const health = total.map((t, i) => (t === 0 ? 0 : Math.min(100, (factor * healthy[i]!) / t)));
  const sum = health.reduce((s, h) => s + h, 0);
  if (sum === 0) return health.map(() => 0);
  const norm = sum < 100 ? health.map((h) => (h * 100) / sum) : health;
  let remaining = 100;
  return norm.map((h) => {
    const load = Math.min(remaining, h);
    remaining -= load;
    return load;
  });
}

/** Picks a priority index given loads (percent) and a uniform random number in [0, 1). */
export function choosePriority(loads: readonly number[], r: number): number {
  let x = r * 100;
  for (let i = 0; i < loads.length; i++) {
    x -= loads[i]!;
    if (x < 0) return i;
  }
  return Math.max(
    0,
    loads.findLastIndex((l) => l > 0),
  );
}
