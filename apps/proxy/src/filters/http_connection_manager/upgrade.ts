// HTTP/1.1 upgrades (upgrade_configs, e.g. "websocket"): the request is routed like any other, then the
// proxy connects to a host of the route's cluster, replays the request head and pipes bytes both ways;
// the upstream's 101 (or refusal) goes back to the client as is. Upgrade types not configured get 403.
import type http from 'node:http';
import type net from 'node:net';
import type { ProxyContext } from '../../context.js';
import { pipeSockets } from '../../protocols/tcp/pipe.js';
import { cleanHeaders } from '../../protocols/types.js';
import type { Scope } from '../../stats/store.js';
import { autoSni } from '../../upstream/cluster-manager.js';
import { connectUpstream } from '../../upstream/transport.js';
import { matchRoute, selectVirtualHost } from '../router/route-matcher.js';
import type { HcmConfig } from './config.js';
import type { HCM_STATS } from './stats.js';

function refuse(socket: net.Socket, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function handleUpgrade(
  config: HcmConfig,
  ctx: ProxyContext,
  stats: Scope<typeof HCM_STATS>,
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
): void {
  socket.on('error', () => {});
  const type = String(req.headers.upgrade ?? '').toLowerCase();
  if (!config.upgradeTypes.includes(type)) {
    stats.downstream_rq_upgrade_refused.inc();
    refuse(socket, 403, 'Forbidden');
    return;
  }
  const table = config.routes.kind === 'inline' ? config.routes.table : ctx.routes.get(config.routes.name);
  const authority = req.headers.host ?? '';
  const vh = table ? selectVirtualHost(table, authority) : undefined;
  const route = vh
    ? matchRoute(vh, {
        path: req.url ?? '/',
        headers: cleanHeaders(req.headers),
        method: req.method ?? 'GET',
      })
    : undefined;
  if (route?.action.kind !== 'forward' || route.action.clusters.length === 0) {
    stats.no_route.inc();
    refuse(socket, 404, 'Not Found');
    return;
  }
  const action = route.action;
  let r = ctx.random() * action.totalWeight;
  let target = action.clusters.at(-1)!;
  for (const c of action.clusters) {
    r -= c.weight;
    if (r < 0) {
      target = c;
      break;
    }
  }
  const cluster = ctx.clusters.get(target.name);
  const host = cluster?.chooseHost({});
  if (!cluster || !host) {
    refuse(socket, 503, 'Service Unavailable');
    return;
  }
  stats.downstream_rq_upgrade.inc();
  cluster.stats.upstream_cx_total.inc();
  cluster.stats.upstream_cx_active.inc();
  cluster.stats.upstream_rq_total.inc();
  const tls = cluster.model.tls;
  const { socket: up, readyEvent } = connectUpstream({
    host: host.address,
    port: host.port,
    tls,
    servername: tls?.autoSni ? autoSni(req.headers.host ?? '', req.headers, tls.autoSniHeader) : undefined,
    stats: cluster.stats,
  });
  let connected = false;
  const timer = setTimeout(() => up.destroy(new Error('connect timeout')), cluster.model.connectTimeoutMs);
  up.once('close', () => {
    clearTimeout(timer);
    cluster.stats.upstream_cx_active.dec();
  });
  up.once('error', () => {
    if (connected) return;
    cluster.stats.upstream_cx_connect_fail.inc();
    refuse(socket, 503, 'Service Unavailable');
  });
  up.once(readyEvent, () => {
    connected = true;
    clearTimeout(timer);
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    up.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) up.write(head);
    pipeSockets(socket, up, config.streamIdleTimeoutMs, {
      rx: () => {},
      tx: () => {},
      idle: () => {},
      closed: () => {},
    });
  });
}
