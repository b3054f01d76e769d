// Istio's 15014: Prometheus metrics and /debug/* (syncz, configz, adsz, push_status), JSON for
// humans and scripts. Read-only: nothing here changes the pilot.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type DebugHandler = (url: URL) => unknown;

export interface HttpServerOptions {
  readonly metrics: () => string;
  readonly debug: Readonly<Record<string, DebugHandler>>;
  readonly ready: () => boolean;
}

export function createHttpServer(opts: HttpServerOptions): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://pilot');
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(405, 'text/plain', 'method not allowed\n');
      if (url.pathname === '/metrics' || url.pathname === '/stats/prometheus') {
        return send(200, 'text/plain; version=0.0.4', opts.metrics());
      }
      if (url.pathname === '/ready' || url.pathname === '/healthz/ready') {
        return opts.ready() ? send(200, 'text/plain', 'ready\n') : send(503, 'text/plain', 'not ready\n');
      }
      if (url.pathname === '/debug' || url.pathname === '/debug/') {
        return send(
          200,
          'application/json',
          `${JSON.stringify(
            Object.keys(opts.debug).map((k) => `/debug/${k}`),
            null,
            2,
          )}\n`,
        );
      }
      const m = /^\/debug\/([a-z_]+)$/.exec(url.pathname);
      const handler = m ? opts.debug[m[1]!] : undefined;
      if (handler) return send(200, 'application/json', `${JSON.stringify(handler(url), null, 2)}\n`);
      return send(404, 'text/plain', 'not found\n');
    } catch (err) {
      return send(500, 'text/plain', `${(err as Error).message}\n`);
    }
  });
}
