// Traffic capture: connections iptables REDIRECTed to the capture listeners (15001 outbound, 15006
// inbound). The original destination is read once, right after accept (@strait/netfilter's
// SO_ORIGINAL_DST addon), and remembered per socket: filter chain matching, the use_original_dst
// hand-off and ORIGINAL_DST clusters all use it, and nothing ever falls back to the socket's own local
// address (that would loop the connection back into the proxy).
import type net from 'node:net';
import { getOriginalDestination } from '@strait/netfilter';

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/** Reads a socket's pre-REDIRECT destination; undefined when the connection was not redirected. */
export type OriginalDstReader = (socket: net.Socket) => Destination | undefined;

// A symbol property rather than a WeakMap: HTTP/2 hands the HCM `session.socket`, a Proxy of the
// accepted socket, which forwards property reads to it but is not the same object as a map key.
const ORIGINAL_DST = Symbol('strait.originalDst');
type Tagged = net.Socket & { [ORIGINAL_DST]?: Destination };

/** Remembers the original destination of an accepted capture-listener socket. */
export function recordOriginalDst(socket: net.Socket, dst: Destination): void {
  (socket as Tagged)[ORIGINAL_DST] = dst;
}

/** The original destination recorded for a socket by a capture listener (ctx.originalDst). */
export function capturedOriginalDst(socket: net.Socket): Destination | undefined {
  return (socket as Tagged)[ORIGINAL_DST];
}

/**
 * The default reader: @strait/netfilter's getOriginalDestination. A socket whose destination cannot be
 * read (addon not built, not Linux, socket already gone) counts as not redirected; `onError` is told.
 */
export function netfilterReader(onError: (err: Error) => void): OriginalDstReader {
  return (socket) => {
    try {
      const d = getOriginalDestination(socket);
      return d === undefined ? undefined : { address: d.address, port: d.port };
    } catch (err) {
      onError(err as Error);
      return undefined;
    }
  };
}

function unmapped(ip: string): string {
  return ip.toLowerCase().startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip.toLowerCase();
}

/** Whether a listener address (host, port) is the destination: exact IP, or a wildcard on that port. */
export function addressMatch(host: string, port: number, dst: Destination): 'exact' | 'wildcard' | undefined {
  if (port !== dst.port) return undefined;
  if (unmapped(host) === unmapped(dst.address)) return 'exact';
  if (host === '::' || host === '') return 'wildcard';
  if (host === '0.0.0.0' && !unmapped(dst.address).includes(':')) return 'wildcard';
  return undefined;
}
