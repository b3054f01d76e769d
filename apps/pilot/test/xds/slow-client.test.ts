// Over real gRPC: a client that stops reading fills HTTP/2 flow control, its pushes stop flushing, and
// the pilot cuts it off (status, then stream reset) while a healthy client keeps getting pushes.
import type { ConfigObject } from '@strait/config';
import { afterEach, describe, expect, it } from 'vitest';
import { Pilot } from '../../src/pilot.js';
import { CDS, node, XdsTestClient } from '../helpers/xds-client.js';

function manyServices(n: number, port: number): ConfigObject[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'networking.istio.io/v1' as const,
    kind: 'ServiceEntry' as const,
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: {
      hosts: [`svc-${i}-with-a-rather-long-name-to-make-clusters-big.default.svc.cluster.local`],
      resolution: 'STATIC' as const,
      ports: [{ number: port, name: 'http', protocol: 'HTTP' }],
      endpoints: [{ address: `10.0.${i >> 8}.${i & 255}` }],
    },
  }));
}

describe('slow clients', () => {
  let pilot: Pilot | undefined;
  afterEach(async () => {
    await pilot?.close();
  });

  it('disconnects a client that stops reading, without holding up a healthy one', async () => {
    pilot = await Pilot.start({
      config: manyServices(400, 80),
      xdsAddress: { host: '127.0.0.1', port: 0 },
      debounceAfterMs: 0,
      writeTimeoutMs: 1000,
      pushConcurrency: 1,
    });
    const client = new XdsTestClient(pilot.xdsAddress);
    const stuck = client.sotw();
    const healthy = new XdsTestClient(pilot.xdsAddress).sotw();
    stuck.send({ node: node('sidecar~10.1.1.1~stuck.default~default.svc.cluster.local'), typeUrl: CDS });
    await stuck.next();
    stuck.pause();
    healthy.send({ node: node('sidecar~10.1.1.2~ok.default~default.svc.cluster.local'), typeUrl: CDS });
    await healthy.next();
    // Config changes, each a CDS of a few hundred KB: the stuck client's window fills up.
    let port = 81;
    const deadline = Date.now() + 15_000;
    while (!stuck.status && Date.now() < deadline) {
      pilot.setConfig(manyServices(400, port++));
      await pilot.flush();
      const got = await healthy.next(5000);
      expect(got.typeUrl).toBe(CDS);
      healthy.send({ typeUrl: CDS, versionInfo: got.versionInfo, responseNonce: got.nonce });
      await new Promise((r) => setTimeout(r, 50));
    }
    await stuck.closed;
    expect(pilot.metrics.get('pilot_xds_write_timeout')).toBeGreaterThan(0);
    expect(pilot.ads.connections.size).toBe(1);
    client.close();
  }, 30_000);
});
