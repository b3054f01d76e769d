// Free ports on 127.0.0.1. Children bind port 0 themselves and print what they got; only the proxy's
// per-service listener ports must be known before the pilot sends them (they are the services' ports
// in the ServiceEntries), so those are probed here. The probe races with other processes in theory;
// a lost race shows as the proxy's listener bind error, named in the start failure.
import net from 'node:net';

export const LOOPBACK = '127.0.0.1';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `HOST:PORT` (as the children print it) into its parts; IPv6 brackets removed. */
export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}
