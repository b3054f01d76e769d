// Config from Kubernetes custom resources (client-node informers) against a fake API server: the
// first list, watch events (add, update, delete), and a bad object rejected with its field path while
// the last good version stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pilot } from '../../src/pilot.js';
import { eventually } from '../helpers/echo-backends.js';
import { FakeKube } from '../helpers/fake-kube.js';

const HOST = 'web.default.svc.cluster.local';
const se = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    hosts: [HOST],
    resolution: 'STATIC',
    ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
    endpoints: [{ address: '10.0.0.1' }],
  },
};
const vs = (weight: number) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'web', namespace: 'default' },
  spec: { hosts: [HOST], http: [{ route: [{ destination: { host: HOST }, weight }], timeout: '3s' }] },
});

describe('Kubernetes config source', () => {
  const kube = new FakeKube();
  let pilot: Pilot;

  beforeAll(async () => {
    await kube.start();
    kube.put('serviceentries', se);
    pilot = await Pilot.start({
      kubeconfig: kube.kubeconfig,
      xdsAddress: { host: '127.0.0.1', port: 0 },
      debounceAfterMs: 10,
    });
  });
  afterAll(async () => {
    await pilot.close();
    await kube.close();
  });

  it('lists custom resources before serving', () => {
    expect(pilot.context().services.has(HOST)).toBe(true);
  });

  it('applies watch events: add and update', async () => {
    kube.put('virtualservices', vs(100));
    await eventually(() => pilot.context().virtualServices.length === 1, 10_000);
    expect(pilot.context().virtualServices[0]!.spec.http?.[0]?.timeout).toBe('3s');
  });

  it('rejects a bad object with its field path and keeps the last good version', async () => {
    kube.put('virtualservices', vs(-1));
    const configz = () =>
      (
        pilot as unknown as {
          configz(): { rejected: { file: string; object: string; field: string }[]; stale: string[] };
        }
      ).configz();
    await eventually(() => configz().rejected.length > 0, 10_000);
    expect(configz().rejected[0]).toMatchObject({
      file: expect.stringMatching(/^kubernetes:VirtualService\/default\/web/),
      object: 'VirtualService/default/web',
    });
    expect(configz().rejected[0]!.field).toMatch(/weight/);
    expect(configz().stale).toEqual(['VirtualService/default/web']);
    expect(pilot.context().virtualServices[0]!.spec.http?.[0]?.route?.[0]?.weight).toBe(100);
  });

  it('fails to start, with a coded error, when the cluster cannot be listed', async () => {
    const gone = new FakeKube();
    await gone.start();
    const kubeconfig = gone.kubeconfig;
    await gone.close();
    await expect(
      Pilot.start({ kubeconfig, kubeStartTimeoutMs: 1500, xdsAddress: { host: '127.0.0.1', port: 0 } }),
    ).rejects.toMatchObject({
      code: 'PILOT_ERR_CONFIG_SOURCE',
    });
  });

  it('removes deleted objects', async () => {
    kube.delete('serviceentries', 'default', 'web');
    await eventually(() => !pilot.context().services.has(HOST), 10_000);
  });
});
