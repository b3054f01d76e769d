// `strait status`: what a running mesh looks like from its control plane and its proxy. Reads the
// pilot's /debug/syncz (is each proxy in sync, per xDS type) and the proxy admin's /clusters (endpoints
// and request counts per cluster). Finds a running `strait demo` by itself; --pilot/--admin point it
// anywhere else.
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { type ClusterStatus, getJson } from '../demo/admin.js';
import { type DemoState, findRunningDemo } from '../demo/state.js';
import { UsageError } from '../io.js';

const USAGE = `usage: strait status [--pilot HOST:PORT] [--admin HOST:PORT] [--json]

Shows, for a running mesh, each proxy's xDS sync state as the pilot sees it (/debug/syncz) and the
proxy's clusters with endpoints and request counts (admin /clusters). Without flags it finds a
running "strait demo" on this machine.

  --pilot HOST:PORT   the pilot's HTTP address (--http-address)
  --admin HOST:PORT   the proxy's admin address
  --json              the raw data as JSON
`;

interface SyncType {
  lastSentVersion: string;
  lastAckedVersion: string;
  synced: boolean;
  lastNack?: unknown;
}
interface SyncEntry {
  proxyId: string;
  variant: string;
  types: Record<string, SyncType>;
}

const ADDRESS = /^[^\s/]+:\d{1,5}$/;

function syncCell(t: SyncType | undefined): string {
  if (!t) return '-';
  if (t.lastNack) return 'NACK';
  return t.synced ? 'synced' : `sent ${t.lastSentVersion || '-'}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()).join('\n');
}

function stat(host: NonNullable<ClusterStatus['host_statuses']>[number], name: string): number {
  const s = host.stats?.find((x) => x.name === name);
  return Number(s?.value ?? 0);
}

export const statusCommand: Command = {
  name: 'status',
  summary: "show a running mesh's xDS sync state (pilot) and clusters (proxy admin)",
  usage: USAGE,
  async run(args, io) {
    const { values } = parseCommandArgs('status', args, {
      pilot: { type: 'string' },
      admin: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    for (const flag of ['pilot', 'admin'] as const) {
      const v = values[flag];
      if (v !== undefined && !ADDRESS.test(v)) {
        throw new UsageError(`strait status: --${flag} must be HOST:PORT, got "${v}"`);
      }
    }
    let demo: DemoState | undefined;
    if (values.pilot === undefined && values.admin === undefined) {
      demo = findRunningDemo();
      if (!demo) {
        io.err(
          'strait status: no running "strait demo" found; pass --pilot HOST:PORT and/or --admin HOST:PORT\n',
        );
        return 1;
      }
    }
    const pilot = values.pilot ?? demo?.pilotHttp;
    const admin = values.admin ?? demo?.proxyAdmin;
    const [syncz, clusters] = await Promise.all([
      pilot === undefined
        ? undefined
        : getJson<SyncEntry[]>(pilot, '/debug/syncz').catch(
            (err: Error) => new Error(`pilot ${pilot}: ${err.message}`),
          ),
      admin === undefined
        ? undefined
        : getJson<{ cluster_statuses?: ClusterStatus[] }>(admin, '/clusters?format=json').then(
            (r) => r.cluster_statuses ?? [],
            (err: Error) => new Error(`proxy admin ${admin}: ${err.message}`),
          ),
    ]);
    if (values.json) {
      const show = (x: unknown) => (x instanceof Error ? { error: x.message } : x);
      io.out(`${JSON.stringify({ demo, syncz: show(syncz), clusters: show(clusters) }, null, 2)}\n`);
      return syncz instanceof Error || clusters instanceof Error ? 1 : 0;
    }
    let out = '';
    if (demo) {
      out += `strait demo (pid ${demo.pid}, ${demo.architecture}, since ${demo.startedAt}), registry ${demo.registry}\n\n`;
    }
    let failed = false;
    if (syncz instanceof Error) {
      out += `${syncz.message}\n\n`;
      failed = true;
    } else if (syncz) {
      const types = [...new Set(syncz.flatMap((e) => Object.keys(e.types)))].sort();
      out += `pilot http://${pilot}/debug/syncz: ${syncz.length} proxies connected\n`;
      if (syncz.length > 0) {
        out += `${table([
          ['proxy', 'variant', ...types.map((t) => t.toUpperCase())],
          ...syncz.map((e) => [e.proxyId, e.variant, ...types.map((t) => syncCell(e.types[t]))]),
        ])}\n`;
      }
      out += '\n';
    }
    if (clusters instanceof Error) {
      out += `${clusters.message}\n`;
      failed = true;
    } else if (clusters) {
      out += `proxy http://${admin}/clusters: ${clusters.length} clusters\n`;
      const rows = clusters.map((c) => {
        const hosts = c.host_statuses ?? [];
        const sum = (name: string) => String(hosts.reduce((n, h) => n + stat(h, name), 0));
        return [c.name, String(hosts.length), sum('rq_total'), sum('rq_error'), sum('cx_active')];
      });
      out += `${table([['cluster', 'endpoints', 'rq_total', 'rq_error', 'cx_active'], ...rows])}\n`;
    }
    io.out(out);
    return failed ? 1 : 0;
  },
};
