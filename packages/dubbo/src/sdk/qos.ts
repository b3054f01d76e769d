// Dubbo QoS-style HTTP commands, as Dubbo's QoS server answers them on port 22222: `GET /online` registers the
// provider's services, `GET /offline` deregisters them (the provider keeps serving calls already routed to it).
// strait-agent calls these around interception changes, so a toggle never sends a call to a missing listener.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEFAULT_QOS_PORT = 22222;

export interface QosHandlers {
  online(): Promise<void>;
  offline(): Promise<void>;
  /** For `GET /ls`: one line per exported service. */
  list(): string[];
  /** For `GET /ready` (Dubbo 3): true once started and online. */
  ready(): boolean;
}

export interface QosServerOptions {
  host?: string;
  /** 0 picks a free port. Default 22222. */
  port?: number;
}

export class QosServer {
  private readonly server: Server;
  private readonly handlers: QosHandlers;

  constructor(handlers: QosHandlers) {
    this.handlers = handlers;
    this.server = createServer((req, res) => {
      void this.handle(req.method ?? 'GET', req.url ?? '/').then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      });
    });
  }

  private async handle(method: string, url: string): Promise<{ status: number; body: string }> {
    const command = new URL(url, 'http://qos').pathname.replace(/^\/+/, '').split('/')[0] ?? '';
    if (method !== 'GET' && method !== 'POST') return { status: 405, body: 'Method not allowed\n' };
    try {
      switch (command) {
        case 'online':
          await this.handlers.online();
          return { status: 200, body: 'OK\n' };
        case 'offline':
          await this.handlers.offline();
          return { status: 200, body: 'OK\n' };
        case 'ls':
          return { status: 200, body: `${this.handlers.list().join('\n')}\n` };
        case 'ready':
          return this.handlers.ready() ? { status: 200, body: 'true\n' } : { status: 503, body: 'false\n' };
        default:
          return { status: 404, body: `Unsupported command: ${command}\n` };
      }
    } catch (err) {
      return { status: 500, body: `${command} failed: ${(err as Error).message}\n` };
    }
  }

  listen(options: QosServerOptions = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port ?? DEFAULT_QOS_PORT, options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
