// `strait status` against stand-ins for the pilot's /debug/syncz and the proxy admin's /clusters.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/index.js';

function capture() {
  const c = { out: '', err: '' };
  return {
    c,
    io: {
      out: (t: string) => {
        c.out += t;
      },
      err: (t: string) => {
        c.err += t;
      },
    },
  };
}

const SYNCZ = [
  {
    proxyId: 'sidecar~127.0.0.1~demo-client.default~default.svc.cluster.local',
    variant: 'sotw',
    types: {
      cds: { lastSentVersion: '3', lastAckedVersion: '3', synced: true },
      rds: { lastSentVersion: '4', lastAckedVersion: '3', synced: false },
    },
  },
];
const CLUSTERS = {
  cluster_statuses: [
    {
      name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
      host_statuses: [
        {
          address: { socket_address: { address: '127.0.0.1', port_value: 1 } },
          stats: [
            { name: 'rq_total', value: 42 },
            { name: 'rq_error', value: 0 },
            { name: 'cx_active', type: 'GAUGE', value: 2 },
          ],
        },
      ],
    },
  ],
};

describe('status', () => {
  let server: http.Server;
  let address: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const body =
        req.url === '/debug/syncz' ? SYNCZ : req.url === '/clusters?format=json' ? CLUSTERS : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? {}));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('shows sync state per proxy and type, and clusters with their counts', async () => {
    const { c, io } = capture();
    expect(await main(['status', '--pilot', address, '--admin', address], io)).toBe(0);
    expect(c.out).toContain('1 proxies connected');
    expect(c.out).toMatch(/sidecar~127\.0\.0\.1~demo-client\S+\s+sotw\s+synced\s+sent 4/);
    expect(c.out).toMatch(/outbound\|9080\|v1\|reviews\.default\.svc\.cluster\.local\s+1\s+42\s+0\s+2/);
  });

  it('names what it could not reach, and rejects bad addresses', async () => {
    const { c, io } = capture();
    expect(await main(['status', '--admin', '127.0.0.1:1'], io)).toBe(1);
    expect(c.out).toContain('proxy admin 127.0.0.1:1:');
    const bad = capture();
    expect(await main(['status', '--pilot', 'nope'], bad.io)).toBe(2);
    expect(bad.c.err).toContain('--pilot must be HOST:PORT');
  });
});
