// A loopback TCP proxy between a ZooKeeper client and the server, so tests can cut one client off
// the way a network partition or a dead host does: the server sees the socket vanish (no
// closeSession), keeps the session until it times out, then deletes its ephemeral nodes.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Drops current connections and refuses new ones until unblock(). */
  block(): void;
  /**
   * Drops current connections, then accepts new ones but never forwards or answers them (a server
   * stuck starting up, a half-dead middlebox) until unblock().
   */
  stall(): void;
  unblock(): void;
  /** Drops everything and stops listening for good. */
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let blocked = false;
  let stalled = false;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((down) => {
    track(down);
    if (blocked) {
      down.destroy();
      return;
    }
    if (stalled) return; // hold the socket open, say nothing
    const up = createConnection({ host: targetHost, port: targetPort });
    track(up);
    down.pipe(up);
    up.pipe(down);
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const dropAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    port,
    block() {
      blocked = true;
      dropAll();
    },
    stall() {
      stalled = true;
      dropAll();
    },
    unblock() {
      blocked = false;
      stalled = false;
    },
    close() {
      blocked = true;
      dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
