// Brings the local mesh up, one component at a time, reporting each: the networked registry
// (strait-registry in a temp data dir: its own process, as in a real deployment, so pilot and, in
// scale-out, the proxy watch it over gRPC), the upstreams registered in it, the pilot with the
// services' config, and one client-side proxy configured over ADS with plain port listeners
// (`--interception none`: no iptables, no root). Every address is read back from the children.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DubboConsumer } from '@strait/dubbo/sdk';
import { openRegistry, type Registry, setup as setupRegistry } from '@strait/registry';
import { eventually, proxyClusters } from './admin.js';
import { DemoError } from './errors.js';
import { freePort, LOOPBACK } from './ports.js';
import {
  ARCHITECTURE_NOTES,
  type Architecture,
  DUBBO_INTERFACE,
  HTTP_HOST,
  type MeshPorts,
  type Phase,
  routesYaml,
  servicesYaml,
} from './scenario.js';
import type { SupervisedChild, Supervisor } from './supervisor.js';
import { dubboSender, httpSender } from './traffic.js';
import { startDubboUpstream, startHttpUpstream, type Upstream } from './upstreams.js';

/** How long one component may take to come up on a busy machine before the demo gives up on it. */
export const START_TIMEOUT_MS = 45_000;
/** The proxy's drain window on shutdown (its --drain-time-s). */
const PROXY_DRAIN_S = 2;

/** A workspace package's built binary, found through the package itself (a dependency of @strait/ctl). */
function packageBin(pkg: string, relative: string): string {
  const bin = join(dirname(fileURLToPath(import.meta.resolve(pkg))), relative);
  if (!existsSync(bin)) {
    throw new DemoError('CTL_ERR_NOT_BUILT', `${pkg} is not built (${bin} missing): run "pnpm build"`, pkg);
  }
  return bin;
}

export interface Progress {
  /** Prints "starting NAME… " and returns a function that completes the line. */
  step(label: string): (detail: string) => void;
}

export interface Mesh {
  architecture: Architecture;
  dir: string;
  registryAddress: string;
  pilot: { xds: string; http: string };
  proxyAdmin: number;
  ports: MeshPorts;
  children: Record<'registry' | 'pilot' | 'proxy', SupervisedChild>;
  registry: Registry;
  upstreams: Upstream[];
  consumer: DubboConsumer;
  agent: http.Agent;
  sendHttp: () => Promise<string>;
  sendDubbo: () => Promise<string>;
  /** Writes a phase's routes into the pilot's config dir. */
  applyRoutes(phase: Phase): void;
}

function proxyBootstrap(xds: string, delta: boolean): string {
  const i = xds.lastIndexOf(':');
  return `# Written by strait demo: a sidecar configured entirely over ADS.
node:
  id: "sidecar~127.0.0.1~demo-client.default~default.svc.cluster.local"
  cluster: demo-client.default
  locality: { region: local, zone: local-a }
  metadata: { NAMESPACE: default, APP: demo-client, WORKLOAD_NAME: demo-client }
dynamic_resources:
  ads_config:
    api_type: ${delta ? 'DELTA_GRPC' : 'GRPC'}
    transport_api_version: V3
    grpc_services: [{ envoy_grpc: { cluster_name: xds-grpc } }]
  cds_config: { ads: {}, resource_api_version: V3 }
  lds_config: { ads: {}, resource_api_version: V3 }
static_resources:
  clusters:
    - name: xds-grpc
      type: STATIC
      connect_timeout: 1s
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: { http2_protocol_options: {} }
      load_assignment:
        cluster_name: xds-grpc
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "${xds.slice(0, i)}", port_value: ${xds.slice(i + 1)} } } } }] }]
`;
}

/** Starts the mesh; on failure the caller stops the supervisor and removes `dir`. */
export async function startMesh(opts: {
  architecture: Architecture;
  dir: string;
  firstPhase: Phase;
  supervisor: Supervisor;
  progress: Progress;
  /** Adds what is started in-process, so the caller can stop it even if a later step fails. */
  track: (m: Partial<Mesh>) => void;
  /** Aborted by Ctrl-C: no further step starts. */
  signal: AbortSignal;
}): Promise<Mesh> {
  const { architecture, dir, supervisor, progress, track } = opts;
  const checkpoint = (): void => {
    if (opts.signal.aborted) throw new DemoError('CTL_ERR_INTERRUPTED', 'interrupted while starting');
  };
  const bins = {
    registry: packageBin('@strait/registry', 'server/bin.js'),
    pilot: packageBin('@strait/pilot', 'bin.js'),
    proxy: packageBin('@strait/proxy', 'bin.js'),
  };
  const configDir = join(dir, 'mesh');
  mkdirSync(configDir);
  mkdirSync(join(dir, 'registry'));

  checkpoint();
  // 1. Registry.
  let done = progress.step('registry (strait-registry)');
  const registryChild = supervisor.start({
    name: 'registry',
    bin: bins.registry,
    args: ['--data-dir', join(dir, 'registry'), '--address', `${LOOPBACK}:0`],
  });
  const registryAddress = (
    await registryChild.waitFor(/strait-registry listening on (\S+)/, 'its address line', START_TIMEOUT_MS)
  )[1]!;
  const registryUrl = `embedded://${registryAddress}`;
  setupRegistry();
  const registry = await openRegistry(registryUrl);
  track({ registry });
  done(`ok (${registryAddress})`);

  checkpoint();
  // 2. Upstreams, registered with version labels.
  done = progress.step('upstreams (reviews v1+v2 over HTTP, GreetingService v1+v2 over Dubbo)');
  const upstreams: Upstream[] = [];
  track({ upstreams });
  for (const v of ['v1', 'v2'] as const) upstreams.push(await startHttpUpstream(registry, v));
  for (const v of ['v1', 'v2'] as const) upstreams.push(await startDubboUpstream(registry, v));
  done(`ok (${upstreams.map((u) => `${u.kind} ${u.version} :${u.port}`).join(', ')}; registered)`);

  checkpoint();
  // 3. Pilot, with the services and the first phase's routes already in its config dir.
  const ports: MeshPorts = { httpPort: await freePort(), dubboPort: await freePort() };
  writeFileSync(join(configDir, 'services.yaml'), servicesYaml(ports));
  const applyRoutes = (phase: Phase): void => {
    // Rewritten in place, not renamed over: Node's recursive fs.watch on Linux (which the pilot's
    // directory watcher uses) stops reporting a file once it has been replaced by a rename. The file
    // is one small write; a half-read file would be rejected and re-read on the next event anyway.
    writeFileSync(join(configDir, 'routes.yaml'), routesYaml(phase));
  };
  applyRoutes(opts.firstPhase);
  done = progress.step(`pilot (strait-pilot --architecture ${architecture})`);
  const socket = join(dir, 'xds.sock');
  const registryFlag = architecture === 'scale-out' ? `${registryUrl}#main` : registryUrl;
  const pilotChild = supervisor.start({
    name: 'pilot',
    bin: bins.pilot,
    args: [
      '--config-dir',
      configDir,
      '--architecture',
      architecture,
      ...(architecture === 'colocated' ? ['--xds-unix-socket', socket] : ['--xds-address', `${LOOPBACK}:0`]),
      '--http-address',
      `${LOOPBACK}:0`,
      '--registry',
      registryFlag,
    ],
    env: { STRAIT_PILOT_DEBOUNCE_AFTER: '50ms' },
  });
  const xds = (
    await pilotChild.waitFor(/xds listening on (\S+)/, 'its xds address line', START_TIMEOUT_MS)
  )[1]!;
  const pilotHttp = (
    await pilotChild.waitFor(/http listening on (\S+)/, 'its http address line', START_TIMEOUT_MS)
  )[1]!;
  done(`ok (xds ${xds}, debug http://${pilotHttp}/debug/syncz)`);

  checkpoint();
  // 4. The client-side proxy: ADS from the pilot; in scale-out, endpoints straight from the registry.
  done = progress.step('proxy (strait-proxy, ADS, plain port listeners)');
  const bootstrapFile = join(dir, 'proxy-bootstrap.yaml');
  writeFileSync(
    bootstrapFile,
    proxyBootstrap(architecture === 'colocated' ? `${LOOPBACK}:1` : xds, architecture === 'scale-out'),
  );
  const proxyChild = supervisor.start({
    name: 'proxy',
    bin: bins.proxy,
    args: [
      '--bootstrap',
      bootstrapFile,
      '--admin-address',
      `${LOOPBACK}:0`,
      '--prometheus-address',
      'off',
      '--drain-time-s',
      String(PROXY_DRAIN_S),
      '--interception',
      'none',
      ...(architecture === 'colocated' ? ['--xds-address', `unix://${socket}`] : []),
      ...(architecture === 'scale-out' ? ['--registry', registryFlag] : []),
    ],
  });
  const proxyAdmin = Number(
    (
      await proxyChild.waitFor(/admin listening on [^\s:]+:(\d+)/, 'its admin address line', START_TIMEOUT_MS)
    )[1],
  );
  for (const port of [ports.httpPort, ports.dubboPort]) {
    // Either "listener NAME added on HOST:PORT" or "listener NAME: <bind error>" (e.g. the probed port
    // was taken meanwhile): the latter fails the start with the proxy's own message.
    const m = await proxyChild.waitFor(
      new RegExp(`listener "0\\.0\\.0\\.0_${port}"(?:: (.*)|.* on \\S+:${port})`),
      `its listener on :${port}`,
      START_TIMEOUT_MS,
    );
    if (m[1] !== undefined) {
      throw new DemoError('CTL_ERR_START', `proxy could not bind its listener on :${port}: ${m[1]}`, 'proxy');
    }
  }

  checkpoint();
  // 5. First request and first call through the mesh: only then is the demo's traffic meaningful.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const consumer = new DubboConsumer({
    application: 'demo-client',
    providers: [{ host: LOOPBACK, port: ports.dubboPort }],
    timeoutMs: 5_000,
  });
  track({ agent, consumer });
  const sendHttp = httpSender(ports.httpPort, `${HTTP_HOST}:${ports.httpPort}`, agent);
  const sendDubbo = dubboSender(consumer, DUBBO_INTERFACE);
  try {
    await eventually(sendHttp, START_TIMEOUT_MS);
    await eventually(sendDubbo, START_TIMEOUT_MS);
  } catch (err) {
    throw new DemoError(
      'CTL_ERR_START',
      `proxy did not pass a first request through (${(err as Error).message}); last output:\n${proxyChild.tail()}`,
      'proxy',
    );
  }
  const clusters = (await proxyClusters(proxyAdmin)).filter((c) => c.name.startsWith('outbound|'));
  const hosts = clusters.reduce((n, c) => n + (c.host_statuses?.length ?? 0), 0);
  done(
    `ok, ${clusters.length} clusters warm (${hosts} endpoints), listeners http :${ports.httpPort} dubbo :${ports.dubboPort}, admin :${proxyAdmin}\n  (${ARCHITECTURE_NOTES[architecture]})`,
  );

  return {
    architecture,
    dir,
    registryAddress,
    pilot: { xds, http: pilotHttp },
    proxyAdmin,
    ports,
    children: { registry: registryChild, pilot: pilotChild, proxy: proxyChild },
    registry,
    upstreams,
    consumer,
    agent,
    sendHttp,
    sendDubbo,
    applyRoutes,
  };
}
