// The admin API (Envoy's paths) on 127.0.0.1 by default, and the Prometheus endpoint (15090). Handlers
// only read proxy state or call the proxy's public operations.
import http from 'node:http';
import { ProxyError } from '../errors.js';
import type { StraitProxy } from '../proxy.js';

const ADMIN_PATHS = [
  '/config_dump',
  '/clusters',
  '/listeners',
  '/stats',
  '/stats/prometheus',
  '/ready',
  '/server_info',
  'POST /drain_listeners?graceful',
  'POST /healthcheck/fail',
  'POST /healthcheck/ok',
  'POST /quitquitquit',
];

export interface AdminAddress {
  host: string;
  port: number;
}

export async function listenHttp(server: http.Server, addr: AdminAddress, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new ProxyError('PROXY_ERR_ADMIN_LISTEN', `${what} ${addr.host}:${addr.port}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    server.listen(addr.port, addr.host, () => resolve());
  });
  const a = server.address();
  return a && typeof a === 'object' ? a.port : addr.port;
}

function send(
  res: http.ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=UTF-8',
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache, max-age=0' });
  res.end(body);
}

export function createAdminServer(proxy: StraitProxy): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    const q = url.searchParams;
    const json = q.get('format') === 'json';
    try {
      switch (url.pathname) {
        case '/config_dump':
          return send(res, 200, JSON.stringify(proxy.configDump(), null, 2), 'application/json');
        case '/clusters':
          return json
            ? send(res, 200, JSON.stringify(proxy.clustersJson(), null, 2), 'application/json')
            : send(res, 200, proxy.clustersText());
        case '/listeners':
          return json
            ? send(res, 200, JSON.stringify(proxy.listenersJson(), null, 2), 'application/json')
            : send(res, 200, proxy.listenersText());
        case '/stats': {
          const filter = q.get('filter');
          let re: RegExp | undefined;
          try {
            re = filter ? new RegExp(filter) : undefined;
          } catch {
            return send(res, 400, 'invalid filter regex\n');
          }
          if (json)
            return send(
              res,
              200,
              JSON.stringify({ stats: proxy.statsJson(re) }, null, 2),
              'application/json',
            );
          return send(res, 200, proxy.statsText(re));
        }
        case '/stats/prometheus':
          return send(res, 200, proxy.prometheus(), 'text/plain; version=0.0.4');
        case '/ready': {
          const s = proxy.state;
          return send(res, s === 'LIVE' ? 200 : 503, `${s}\n`);
        }
        case '/server_info':
          return send(res, 200, JSON.stringify(proxy.serverInfo(), null, 2), 'application/json');
        case '/drain_listeners':
          if (method !== 'POST') return send(res, 405, 'use POST\n');
          void proxy.drain(q.has('graceful'), q.has('inboundonly'));
          return send(res, 200, 'OK\n');
        case '/healthcheck/fail':
          if (method !== 'POST') return send(res, 405, 'use POST\n');
          proxy.setHealthCheckFailed(true);
          return send(res, 200, 'OK\n');
        case '/healthcheck/ok':
          if (method !== 'POST') return send(res, 405, 'use POST\n');
          proxy.setHealthCheckFailed(false);
          return send(res, 200, 'OK\n');
        case '/quitquitquit':
          if (method !== 'POST') return send(res, 405, 'use POST\n');
          send(res, 200, 'OK\n');
          setImmediate(() => void proxy.shutdown());
          return;
        case '/':
          return send(res, 200, `${ADMIN_PATHS.join('\n')}\n`);
        default:
          return send(res, 404, 'not found\n');
      }
    } catch (err) {
      return send(res, 500, `${(err as Error).message}\n`);
    }
  });
}

export function createPrometheusServer(proxy: StraitProxy): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/stats/prometheus' || path === '/metrics')
      return send(res, 200, proxy.prometheus(), 'text/plain; version=0.0.4');
    return send(res, 404, 'not found\n');
  });
}
