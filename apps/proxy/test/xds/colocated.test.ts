// Colocated: a pilot beside the proxy serves only it, over a Unix socket (--xds-address unix:///path).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adsBootstrap,
  eventually,
  freePort,
  get,
  PILOT_BIN,
  PROXY_BIN,
  type Proc,
  run,
  startProxy,
  tempDir,
  type Upstream,
  upstream,
  waitReady,
} from './helpers.js';

describe.skipIf(!existsSync(PILOT_BIN) || !existsSync(PROXY_BIN))('colocated: ADS over a Unix socket', () => {
  let dir: string;
  let up: Upstream;
  let port: number;
  let pilot: Proc;
  let proxy: { proc: Proc; admin: number; dir: string };

  beforeAll(async () => {
    dir = tempDir('xds-colo-');
    up = await upstream('colo');
    port = await freePort();
    const cfg = join(dir, 'cfg');
    mkdirSync(cfg);
    writeFileSync(
      join(cfg, 'svc.yaml'),
      `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: web, namespace: default }
spec:
  hosts: [web.test]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${port}, name: http, protocol: HTTP }]
  endpoints: [{ address: 127.0.0.1, ports: { http: ${up.port} } }]
`,
    );
    const socket = join(dir, 'xds.sock');
    pilot = run(
      PILOT_BIN,
      [
        '--config-dir',
        cfg,
        '--architecture',
        'colocated',
        '--xds-unix-socket',
        socket,
        '--http-address',
        '127.0.0.1:0',
      ],
      { STRAIT_PILOT_LOG_LEVEL: 'warn' },
    );
    await pilot.waitFor(/xds listening on unix:/);
    // The bootstrap's ADS cluster address is replaced by the socket.
    proxy = await startProxy(adsBootstrap({ xds: '127.0.0.1:1', variant: 'sotw' }), [
      '--xds-address',
      `unix://${socket}`,
      '--interception',
      'none',
    ]);
    await waitReady(proxy.admin, 30_000);
  }, 60_000);

  afterAll(async () => {
    await proxy?.proc.stop();
    await pilot?.stop();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
    if (proxy) rmSync(proxy.dir, { recursive: true, force: true });
  });

  it('takes its config from the pod-local pilot', async () => {
    const r = await eventually(
      () => get(port, `web.test:${port}`, '/c'),
      (x) => x.status === 200,
      15_000,
      'traffic',
    );
    expect(r.body).toBe('colo /c');
  });
});
