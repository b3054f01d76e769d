import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StraitProxy } from '../../src/proxy.js';
import { httpBootstrap, httpUpstream, startProxy, staticCluster } from '../helpers/harness.js';

function upgradeExchange(port: number, type: string, payload: string, waitFor: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let data = '';
    let sent = false;
    c.on('data', (d) => {
      data += d.toString();
      if (!sent && data.includes('\r\n\r\n') && data.startsWith('HTTP/1.1 101')) {
        sent = true;
        c.write(payload);
      }
      if (data.includes(waitFor)) {
        c.end();
        resolve(data);
      }
    });
    c.on('close', () => resolve(data));
    c.on('error', reject);
    c.write(`GET /chat HTTP/1.1\r\nhost: ws.example.com\r\nconnection: Upgrade\r\nupgrade: ${type}\r\n\r\n`);
  });
}

describe('HTTP/1.1 upgrades (WebSocket)', () => {
  let up: Awaited<ReturnType<typeof httpUpstream>>;
  const upgraded = new Set<net.Socket>();
  let proxy: StraitProxy;
  let port: number;

  beforeAll(async () => {
    up = await httpUpstream('ws');
    up.server.on('upgrade', (req, socket: net.Socket) => {
      upgraded.add(socket);
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\n\r\n`,
      );
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    proxy = await startProxy(
      httpBootstrap(
        `
- name: all
  domains: ["*"]
  routes: [{ match: { prefix: "/" }, route: { cluster: ws } }]`,
        staticCluster('ws', [up.port]),
        'upgrade_configs: [{ upgrade_type: websocket }]',
      ),
    );
    port = proxy.listenerPort('http')!;
  });

  afterAll(async () => {
    await proxy.shutdown();
    // Upgraded sockets leave node's HTTP connection tracking: close them before the server.
    for (const s of upgraded) s.destroy();
    await up.close();
  });

  it('pipes an upgraded connection both ways after the upstream 101', async () => {
    const data = await upgradeExchange(port, 'websocket', 'hello', 'echo:hello');
    expect(data).toMatch(/^HTTP\/1\.1 101/);
    expect(data).toContain('echo:hello');
  });

  it('refuses upgrade types not in upgrade_configs with 403', async () => {
    const data = await upgradeExchange(port, 'h2c', 'x', '403');
    expect(data).toMatch(/^HTTP\/1\.1 403/);
  });
});
