// The lease bookkeeping the embedded client and etcd share. The backends' own suites prove it against
// their real servers (sessions, lost leases re-granted); this pins the sharing and retry rules.
import { describe, expect, it } from 'vitest';
import { LeaseSource } from '../../src/backends/leases.js';

function source(failFirst = 0) {
  const grants: { ttlMs: number; session: boolean }[] = [];
  let failures = failFirst;
  const leases = new LeaseSource<number>(7_000, async (ttlMs, session) => {
    grants.push({ ttlMs, session });
    if (failures > 0) {
      failures--;
      throw new Error('server unreachable');
    }
    return grants.length;
  });
  return { leases, grants };
}

describe('LeaseSource', () => {
  it('grants the session lease once for concurrent callers, and a lease of its own per TTL registration', async () => {
    const { leases, grants } = source();
    const [a, b] = await Promise.all([
      leases.forLiveness({ kind: 'session' }),
      leases.forLiveness({ kind: 'session' }),
    ]);
    expect(a).toBe(b);
    const t1 = await leases.forLiveness({ kind: 'ttl', ttlMs: 3_000 });
    const t2 = await leases.forLiveness({ kind: 'ttl', ttlMs: 3_000 });
    expect(t1).not.toBe(t2);
    expect(grants).toEqual([
      { ttlMs: 7_000, session: true },
      { ttlMs: 3_000, session: false },
      { ttlMs: 3_000, session: false },
    ]);
  });

  it('forgets a failed session grant so the next caller retries', async () => {
    const { leases, grants } = source(1);
    await expect(leases.sessionLease()).rejects.toThrow('server unreachable');
    expect(await leases.sessionLease()).toBe(2);
    expect(grants).toHaveLength(2);
  });

  it('replaces a lost lease with one of the same kind and writes every key again', async () => {
    const { leases, grants } = source();
    const first = await leases.sessionLease();
    const puts: [number, string, string][] = [];
    const put = async (lease: number, key: string, v: string) => {
      puts.push([lease, key, v]);
    };
    leases.forgetSession();
    const keys = new Map([
      ['svc/a', 'A'],
      ['svc/b', 'B'],
    ]);
    const fresh = await leases.replace({ ttlMs: 7_000, session: true, keys }, put);
    expect(fresh).not.toBe(first);
    // A retry after a failed put shares the new session lease rather than granting another.
    expect(await leases.replace({ ttlMs: 7_000, session: true, keys }, put)).toBe(fresh);
    const ttl = await leases.replace({ ttlMs: 2_000, session: false, keys: new Map([['svc/c', 'C']]) }, put);
    expect(puts).toEqual([
      [fresh, 'svc/a', 'A'],
      [fresh, 'svc/b', 'B'],
      [fresh, 'svc/a', 'A'],
      [fresh, 'svc/b', 'B'],
      [ttl, 'svc/c', 'C'],
    ]);
    expect(grants.map((g) => g.session)).toEqual([true, true, false]);
  });
});
