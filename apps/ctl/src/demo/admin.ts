// Small readers of the components' HTTP APIs (proxy admin, pilot /debug), each call bounded in time.
import { LOOPBACK } from './ports.js';

const CALL_TIMEOUT_MS = 2_000;

export async function getText(address: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  return { status: res.status, body: await res.text() };
}

export async function getJson<T>(address: string, path: string): Promise<T> {
  const r = await getText(address, path);
  if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return JSON.parse(r.body) as T;
}

/** Retries `fn` every 100 ms until it returns a value, or fails with the last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(last instanceof Error ? last.message : `not reached within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ClusterStatus {
  name: string;
  added_via_api?: boolean;
  host_statuses?: {
    address: { socket_address: { address: string; port_value: number } };
    stats?: { name: string; value?: number }[];
  }[];
}

/** The proxy's clusters from `/clusters?format=json` (Envoy's shape). */
export async function proxyClusters(adminPort: number): Promise<ClusterStatus[]> {
  const r = await getJson<{ cluster_statuses?: ClusterStatus[] }>(
    `${LOOPBACK}:${adminPort}`,
    '/clusters?format=json',
  );
  return r.cluster_statuses ?? [];
}
