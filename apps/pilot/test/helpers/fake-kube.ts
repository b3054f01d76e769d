// A minimal Kubernetes API server for custom resources: list (with a resourceVersion) and watch
// (newline-delimited JSON events), enough for client-node's ListWatch. Real-apiserver coverage is in
// test/sources/kubernetes-real.test.ts (skipped unless @strait/kube-testing's binary is cached).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: unknown;
};

export class FakeKube {
  private readonly server: Server;
  private rv = 1;
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly watchers = new Map<string, Set<ServerResponse>>();
  kubeconfig = '';

  constructor() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/apis\/[^/]+\/[^/]+\/([a-z]+)$/.exec(url.pathname);
      if (!m) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404 }));
        return;
      }
      const plural = m[1]!;
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        const set = this.watchers.get(plural) ?? new Set();
        set.add(res);
        this.watchers.set(plural, set);
        req.on('close', () => set.delete(res));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          metadata: { resourceVersion: String(this.rv) },
          items: [...(this.objects.get(plural)?.values() ?? [])],
        }),
      );
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const port = (this.server.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'fake-kube-'));
    this.kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      this.kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'admin', user: { token: 'x' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'admin' } }],
        'current-context': 'fake',
      }),
    );
  }

  put(plural: string, obj: Obj): void {
    const key = `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
    const map = this.objects.get(plural) ?? new Map<string, Obj>();
    const type = map.has(key) ? 'MODIFIED' : 'ADDED';
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    map.set(key, stored);
    this.objects.set(plural, map);
    this.send(plural, type, stored);
  }

  delete(plural: string, namespace: string, name: string): void {
    const map = this.objects.get(plural);
    const obj = map?.get(`${namespace}/${name}`);
    if (!obj) return;
    map!.delete(`${namespace}/${name}`);
    this.send(plural, 'DELETED', {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(++this.rv) },
    });
  }

  async close(): Promise<void> {
    for (const set of this.watchers.values()) for (const r of set) r.end();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private send(plural: string, type: string, object: Obj): void {
    for (const r of this.watchers.get(plural) ?? []) r.write(`${JSON.stringify({ type, object })}\n`);
  }
}
