import { closeSync, openSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apply,
  buildRules,
  detach,
  getOriginalDestination,
  getOriginalDestinationFromFd,
  isOriginalDstSupported,
  NetfilterError,
  remove,
  socketFd,
} from '../src/index.js';
import { createTestNetns, requireRoot, type TestNetns, withTestNetns } from '../src/testing/index.js';
import { connectFrom, holdConnection, startServer } from './helpers/servers.js';

describe('getOriginalDestination without interception', () => {
  it('loads the N-API addon in this Node', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
    expect(isOriginalDstSupported()).toBe(true);
  });

  it('returns undefined for a connection no NAT rule touched', async () => {
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    try {
      const socket = await accepted;
      expect(getOriginalDestination(socket)).toBeUndefined();
      socket.destroy();
      expect(() => getOriginalDestination(socket)).toThrow(
        expect.objectContaining({ code: 'NETFILTER_ERR_NO_FD' }) as Error,
      );
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('names the errno when the fd is not a socket', () => {
    const fd = openSync(import.meta.filename, 'r');
    try {
      getOriginalDestinationFromFd(fd);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NetfilterError);
      expect(err).toMatchObject({ code: 'NETFILTER_ERR_ORIGINAL_DST', errnoName: 'ENOTSOCK' });
      expect((err as Error).message).toMatch(/ENOTSOCK \(errno \d+\)/);
    } finally {
      closeSync(fd);
    }
  });

  it('reports a socket without a handle as NETFILTER_ERR_NO_FD', () => {
    const socket = connect({ port: 1, host: '127.0.0.1', lookup: () => {} });
    socket.on('error', () => {});
    socket.destroy();
    expect(() => socketFd(socket)).toThrow(/no handle/);
  });
});

// The real thing: rules installed in a namespace, a Node listener on 15001 reading the original
// destination through the built addon.
describe('REDIRECT to 15001/15006 in a network namespace', () => {
  let ns: TestNetns;

  beforeAll(async () => {
    requireRoot(); // fails the suite with NETFILTER_ERR_NOT_ROOT; never a silent skip
    ns = await createTestNetns();
    await apply(buildRules({ proxyUids: [1337], proxyGids: [1337], ipv6: true }), { netns: ns.name });
    // '::' is dual-stack: IPv4 connections arrive as v4-mapped sockets, which the addon must handle.
    await startServer(ns, 'outbound', '::', 15001);
    await startServer(ns, 'inbound', '::', 15006);
    await startServer(ns, 'agent', '::', 15020);
    await startServer(ns, 'peer', '::', 8080, { peer: true });
    await startServer(ns, 'app', '::', 9080);
  });

  afterAll(async () => {
    await ns?.destroy();
  });

  it('captures an outbound connection and reads its IPv4 original destination', async () => {
    const report = await connectFrom(ns, ns.peerAddress, 8080);
    expect(report.server).toBe('outbound');
    expect(report.original).toEqual({ address: ns.peerAddress, port: 8080, family: 4 });
  });

  it('captures connections to addresses nobody has (TEST-NET-3)', async () => {
    const report = await connectFrom(ns, '203.0.113.7', 9090);
    expect(report).toMatchObject({
      server: 'outbound',
      original: { address: '203.0.113.7', port: 9090, family: 4 },
    });
  });

  it('reads the IPv6 original destination (IP6T_SO_ORIGINAL_DST)', async () => {
    const report = await connectFrom(ns, ns.peerAddress6, 8080);
    expect(report).toMatchObject({
      server: 'outbound',
      original: { address: ns.peerAddress6, port: 8080, family: 6 },
    });
  });

  it('does not capture the proxy uid: its connection reaches the real destination', async () => {
    const report = await connectFrom(ns, ns.peerAddress, 8080, { uid: 1337, gid: 1337 });
    expect(report.server).toBe('peer');
  });

  it('does not capture the proxy gid under another uid', async () => {
    const report = await connectFrom(ns, ns.peerAddress, 8080, { uid: 4242, gid: 1337 });
    expect(report.server).toBe('peer');
  });

  it('captures any other non-root uid', async () => {
    const report = await connectFrom(ns, ns.peerAddress, 8080, { uid: 4242, gid: 4242 });
    expect(report).toMatchObject({ server: 'outbound', original: { address: ns.peerAddress, port: 8080 } });
  });

  it('returns undefined for a client that connects to 15001 directly', async () => {
    const report = await connectFrom(ns, '127.0.0.1', 15001);
    expect(report).toMatchObject({ server: 'outbound', original: null });
  });

  it('captures inbound connections to 15006 with the pod address as original destination', async () => {
    const report = await connectFrom(ns, ns.address, 9080, { peer: true });
    expect(report).toMatchObject({
      server: 'inbound',
      original: { address: ns.address, port: 9080, family: 4 },
    });
  });

  it('sends the proxy calling its own pod address to the inbound listener', async () => {
    const report = await connectFrom(ns, ns.address, 9080, { uid: 1337, gid: 1337 });
    expect(report).toMatchObject({ server: 'inbound', original: { address: ns.address, port: 9080 } });
  });

  it('lets the proxy hand inbound traffic to the app from 127.0.0.6', async () => {
    const report = await connectFrom(ns, ns.address, 9080, { uid: 1337, gid: 1337, source: '127.0.0.6' });
    expect(report).toMatchObject({ server: 'app', original: null });
  });

  it('does not capture the app talking to its own pod address over lo', async () => {
    const report = await connectFrom(ns, ns.address, 9080, { uid: 4242, gid: 4242 });
    expect(report).toMatchObject({ server: 'app', original: null });
  });

  it('captures inbound IPv6 connections', async () => {
    const report = await connectFrom(ns, ns.address6, 9080, { peer: true });
    expect(report).toMatchObject({
      server: 'inbound',
      original: { address: ns.address6, port: 9080, family: 6 },
    });
  });

  it('leaves excluded inbound ports (15020) alone', async () => {
    const report = await connectFrom(ns, ns.address, 15020, { peer: true });
    expect(report).toMatchObject({ server: 'agent', original: null });
  });
});

describe('IPv4-only listener', () => {
  it('reads the original destination on a plain AF_INET socket (SOL_IP)', async () => {
    requireRoot();
    await withTestNetns(async (ns) => {
      await apply(buildRules({ outboundPort: 16001, includeInboundPorts: [] }), { netns: ns.name });
      await startServer(ns, 'v4only', '0.0.0.0', 16001);
      const report = await connectFrom(ns, ns.peerAddress, 5432);
      expect(report).toMatchObject({
        server: 'v4only',
        original: { address: ns.peerAddress, port: 5432, family: 4 },
        local: { address: '127.0.0.1', port: 16001 },
      });
    });
  });
});

// What the lossless sequences rely on: toggling the rules never moves an established connection.
describe('established connections across rule changes', () => {
  it('a connection made before apply keeps its real peer; a captured one survives re-apply and detach', async () => {
    requireRoot();
    await withTestNetns(async (ns) => {
      await startServer(ns, 'proxy', '::', 15001, { hold: true });
      await startServer(ns, 'peer', '::', 8080, { peer: true, hold: true });
      const rules = buildRules();

      const before = await holdConnection(ns, ns.peerAddress, 8080);
      expect(before.report.server).toBe('peer');
      await apply(rules, { netns: ns.name });
      const captured = await holdConnection(ns, ns.peerAddress, 8080);
      expect(captured.report).toMatchObject({
        server: 'proxy',
        original: { address: ns.peerAddress, port: 8080 },
      });
      expect(await before.echo('after-apply')).toBe('peer:after-apply');

      // Re-applying (a level-based agent does it on every reconcile) keeps the captured connection.
      await apply(buildRules({ excludeOutboundPorts: [3306] }), { netns: ns.name });
      expect(await captured.echo('after-reapply')).toBe('proxy:after-reapply');

      // Disable, phase 1: new connections go direct, the captured one keeps draining through the proxy.
      await detach(rules, { netns: ns.name });
      expect((await holdConnection(ns, ns.peerAddress, 8080)).report.server).toBe('peer');
      expect(await captured.echo('after-detach')).toBe('proxy:after-detach');

      // Phase 2, after the drain window: the chains go; new connections still go direct.
      await remove(rules, { netns: ns.name });
      expect((await holdConnection(ns, ns.peerAddress, 8080)).report.server).toBe('peer');
    });
  });
});
