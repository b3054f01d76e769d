// The original (pre-NAT) destination of a connection that iptables REDIRECTed to one of the proxy's
// capture listeners (15001 outbound, 15006 inbound). Node has no getsockopt, so a small Node-API addon
// (native/original_dst.c) asks the kernel for SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { NetfilterAddonUnavailableError, NetfilterNoFdError, NetfilterOriginalDstError } from './errors.js';

export interface OriginalDst {
  /** Textual IP address: dotted quad for family 4, RFC 5952 text for family 6. */
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

interface Addon {
  /** An object on success, the errno (positive integer) on failure. */
  originalDst(fd: number): OriginalDst | number;
}

// The same relative path works from src/ (tests) and from dist/ (users): both are siblings of dist/.
const ADDON_PATH = fileURLToPath(new URL('../dist/native/original_dst.node', import.meta.url));

let addon: Addon | undefined;
let loadFailure: NetfilterAddonUnavailableError | undefined;

/** Loads the addon once; a failure is remembered so a hot accept loop does not retry dlopen. */
function loadAddon(): Addon {
  if (addon !== undefined) return addon;
  if (loadFailure !== undefined) throw loadFailure;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    return addon;
  } catch (cause) {
    loadFailure = new NetfilterAddonUnavailableError(ADDON_PATH, { cause });
    throw loadFailure;
  }
}

/** True when the native addon loads on this machine (Linux, package built). */
export function isOriginalDstSupported(): boolean {
  try {
    loadAddon();
    return true;
  } catch {
    return false;
  }
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name] as [number, string]),
);

/**
 * The socket's file descriptor. Node has no public accessor; on Unix every libuv stream handle
 * (`TCPWrap`, what `net.Socket#_handle` holds) has an `fd` getter, stable since Node 0.x and used by
 * long-lived modules for exactly this. It is -1 on Windows and missing once the socket is destroyed,
 * which is reported as NETFILTER_ERR_NO_FD rather than guessed around.
 */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  if (handle === undefined || handle === null) {
    throw new NetfilterNoFdError('the socket has no handle (destroyed, or not yet connected)');
  }
  const fd = handle.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) {
    throw new NetfilterNoFdError(`the socket handle has no usable fd (got ${String(fd)})`);
  }
  return fd;
}

/**
 * Original destination of the connection on `fd`, or `undefined` when the connection was not
 * redirected. See getOriginalDestination for what "not redirected" covers.
 */
export function getOriginalDestinationFromFd(
  fd: number,
  local?: { address: string | undefined; port: number | undefined },
): OriginalDst | undefined {
  const result = loadAddon().originalDst(fd);
  if (typeof result === 'number') {
    // ENOENT: conntrack has no entry for this connection, so no NAT rule touched it.
    if (result === constants.errno.ENOENT) return undefined;
    throw new NetfilterOriginalDstError(result, ERRNO_NAMES.get(result) ?? `errno ${result}`, fd);
  }
  // With conntrack loaded, a connection made straight to the capture port has an entry whose original
  // destination is the listener itself. Treating it as redirected would make the proxy connect to
  // itself in a loop, so it counts as "not redirected" too.
  if (
    local?.port === result.port &&
    local.address !== undefined &&
    sameAddress(local.address, result.address)
  ) {
    return undefined;
  }
  return result;
}

/**
 * Where the client meant to connect before iptables REDIRECTed it to this listener.
 *
 * Returns `undefined` when the connection was not redirected: no NAT entry (ENOENT), or the original
 * destination is this socket's own local address and port (a client connected to 15001 directly).
 * Throws NETFILTER_ERR_NO_FD for a destroyed socket, NETFILTER_ERR_ORIGINAL_DST for any other errno,
 * NETFILTER_ERR_ADDON_UNAVAILABLE when the addon is not built. Synchronous: one getsockopt, no I/O.
 */
export function getOriginalDestination(socket: Socket): OriginalDst | undefined {
  return getOriginalDestinationFromFd(socketFd(socket), {
    address: socket.localAddress,
    port: socket.localPort,
  });
}

// A dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`; the addon answers in plain IPv4.
function sameAddress(a: string, b: string): boolean {
  const strip = (s: string) => (s.toLowerCase().startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s);
  return strip(a).toLowerCase() === strip(b).toLowerCase();
}
