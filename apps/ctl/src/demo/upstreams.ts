// The demo's applications, in this process: an HTTP service in two versions (node:http servers that
// answer their version) and a Dubbo provider in two versions (@strait/dubbo), all on 127.0.0.1 with
// ports picked by the OS, registered in the registry with `app` and `version` labels, which is how
// the pilot's ServiceEntries and DestinationRule subsets find them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DubboProvider, type ProviderInstance, type RegistrationHooks } from '@strait/dubbo/sdk';
import type { Registration, Registry } from '@strait/registry';
import { LOOPBACK } from './ports.js';
import { DUBBO_APP, DUBBO_INTERFACE, HTTP_APP, HTTP_HOST, type Version } from './scenario.js';

export interface Upstream {
  kind: 'http' | 'dubbo';
  version: Version;
  port: number;
  /** Deregisters, then stops serving (Dubbo: offline, READONLY, drain). */
  close(): Promise<void>;
}

/** The registry entry for one version of a service. */
function spec(service: string, app: string, version: Version, port: number, protocol: 'http' | 'dubbo') {
  return {
    service,
    id: `${app}-${version}`,
    address: LOOPBACK,
    port,
    protocol,
    labels: { app, version },
    application: app,
    ...(protocol === 'dubbo' ? { interfaces: [service] } : {}),
  };
}

export async function startHttpUpstream(registry: Registry, version: Version): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'text/plain');
    res.setHeader('x-version', version);
    res.end(`${version}\n`);
  });
  // Longer than the proxy's pool idle time, so the proxy (not the upstream) decides when to close.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const registration: Registration = await registry.register(
    spec(HTTP_HOST, HTTP_APP, version, port, 'http'),
  );
  return {
    kind: 'http',
    version,
    port,
    async close() {
      await registration.deregister().catch(() => {});
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      server.closeAllConnections();
    },
  };
}

/** The SDK's registration seam, backed by @strait/registry. */
function registryHooks(registry: Registry, version: Version): RegistrationHooks {
  let held: Registration | undefined;
  return {
    async register(p: ProviderInstance) {
      held = await registry.register(spec(DUBBO_INTERFACE, p.application, version, p.port, 'dubbo'));
    },
    async deregister() {
      await held?.deregister();
      held = undefined;
    },
  };
}

export async function startDubboUpstream(registry: Registry, version: Version): Promise<Upstream> {
  const provider = new DubboProvider({
    application: DUBBO_APP,
    host: LOOPBACK,
    port: 0,
    qos: false,
    registration: registryHooks(registry, version),
  });
  provider.addService({ interface: DUBBO_INTERFACE, methods: { greet: () => version } });
  const { port } = await provider.start();
  return {
    kind: 'dubbo',
    version,
    port,
    close: () => provider.close({ drainTimeoutMs: 3_000 }),
  };
}
