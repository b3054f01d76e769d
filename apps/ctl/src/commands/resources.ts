// `strait resources` (also `strait demo --print`): prints, as Envoy-style JSON, the xDS resources
// Strait builds for a sample service. Every resource is encoded and decoded before printing, so what is shown is exactly what
// would go over the wire.
import {
  ClusterCodec,
  ClusterLoadAssignmentCodec,
  type JsonObject,
  ListenerCodec,
  type MessageCodec,
  RouteConfigurationCodec,
  resourceToEnvoyJson,
} from '@strait/xds';
import { intFlag, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { buildDemoResources, DEFAULT_DEMO } from '../demo/sample.js';
import { type CommandIo, UsageError } from '../io.js';

const USAGE = `usage: strait resources [--service NAME] [--namespace NS] [--port N] [--v1-weight PCT] [--only KINDS] [--compact]
       strait demo --print [same flags]

Prints the listeners, routes, clusters and endpoints (LDS/RDS/CDS/EDS) a sidecar calling the
sample service gets: subsets v1 and v2 with a weighted split (default 80/20).

  --service NAME     service name (default ${DEFAULT_DEMO.service})
  --namespace NS     namespace (default ${DEFAULT_DEMO.namespace})
  --port N           service port (default ${DEFAULT_DEMO.port})
  --v1-weight PCT    percent of requests to v1, the rest to v2 (default ${DEFAULT_DEMO.v1Weight})
  --only KINDS       comma-separated subset of listeners,routes,clusters,endpoints
  --compact          one line of JSON instead of indented
`;

const KINDS = ['listeners', 'routes', 'clusters', 'endpoints'] as const;
type Kind = (typeof KINDS)[number];

function parseKinds(command: string, value: string | undefined): Set<Kind> {
  if (value === undefined) return new Set(KINDS);
  const kinds = new Set<Kind>();
  for (const part of value.split(',')) {
    const kind = part.trim();
    if (!(KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`strait ${command}: --only takes ${KINDS.join(', ')}; got "${kind}"`);
    }
    kinds.add(kind as Kind);
  }
  return kinds;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function wire<P>(codec: MessageCodec<unknown, P>, message: P): JsonObject {
  return resourceToEnvoyJson(codec, codec.decode(codec.encode(message)) as P);
}

export const resourcesCommand: Command = {
  name: 'resources',
  summary: 'print the xDS resources Strait builds for a sample service (was: demo)',
  usage: USAGE,
  run: (args, io) => printResources('resources', args, io),
};

/** `command` names the command in messages: `strait demo --print` shares this with `strait resources`. */
export async function printResources(command: string, args: string[], io: CommandIo): Promise<number> {
  const { values } = parseCommandArgs(command, args, {
    service: { type: 'string' },
    namespace: { type: 'string' },
    port: { type: 'string' },
    'v1-weight': { type: 'string' },
    only: { type: 'string' },
    compact: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const service = values.service ?? DEFAULT_DEMO.service;
  const namespace = values.namespace ?? DEFAULT_DEMO.namespace;
  for (const [flag, value] of [
    ['service', service],
    ['namespace', namespace],
  ] as const) {
    if (!DNS_LABEL.test(value))
      throw new UsageError(`strait ${command}: --${flag} must be a DNS label, got "${value}"`);
  }
  const resources = buildDemoResources({
    service,
    namespace,
    port: intFlag(command, 'port', values.port, DEFAULT_DEMO.port, 1, 65535),
    v1Weight: intFlag(command, 'v1-weight', values['v1-weight'], DEFAULT_DEMO.v1Weight, 0, 100),
  });
  const kinds = parseKinds(command, values.only);
  const output: Record<string, unknown> = { service: resources.host };
  if (kinds.has('listeners')) output['listeners'] = resources.listeners.map((l) => wire(ListenerCodec, l));
  if (kinds.has('routes')) output['routes'] = resources.routes.map((r) => wire(RouteConfigurationCodec, r));
  if (kinds.has('clusters')) output['clusters'] = resources.clusters.map((c) => wire(ClusterCodec, c));
  if (kinds.has('endpoints')) {
    output['endpoints'] = resources.endpoints.map((e) => wire(ClusterLoadAssignmentCodec, e));
  }
  io.out(`${JSON.stringify(output, null, values.compact ? undefined : 2)}\n`);
  return 0;
}
