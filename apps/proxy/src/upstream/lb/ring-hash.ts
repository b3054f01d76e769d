// Ring hash (Ketama): each host owns weight-proportional points on a 32-bit ring; a request's hash goes
// to the next point clockwise. Ring size follows Envoy: scaled so the lightest host gets at least one
// point, between minimum_ring_size and maximum_ring_size. No hash = random point.
import type { Host } from '../host.js';
import { murmur3 } from './hash.js';
import type { LbFactory } from './types.js';

export function ringHash(minRingSize: number, maxRingSize: number): LbFactory {
  return (hosts, random) => {
    const total = hosts.reduce((s, h) => s + h.weight, 0);
    const points: { hash: number; host: Host }[] = [];
    if (hosts.length > 0) {
      const minNorm = Math.min(...hosts.map((h) => h.weight / total));
      const scale = Math.min(Math.ceil(minNorm * minRingSize) / minNorm, maxRingSize);
      for (const h of hosts) {
        const n = Math.max(1, Math.floor((h.weight / total) * scale + 0.5));
        for (let i = 0; i < n; i++) points.push({ hash: murmur3(`${h.key}_${i}`), host: h });
      }
      points.sort((a, b) => a.hash - b.hash);
    }
    return {
      choose: (ctx) => {
        if (points.length === 0) return undefined;
        const target = ctx.hash ?? Math.floor(random() * 0xffffffff);
        let lo = 0;
        let hi = points.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (points[mid]!.hash < target) lo = mid + 1;
          else hi = mid;
        }
        return points[lo % points.length]!.host;
      },
    };
  };
}
