// `--registry URL` parsing and the scheme → factory table behind openRegistry().
//
// Backends are added by explicit setup() calls (see setup.ts), never by importing a module, so a
// binary links only the backends it wires and tests can register fakes (`registerBackend`).
// Multi-host authorities (`etcd://h1:2379,h2:2379`) are not valid WHATWG URLs, so the authority is
// split here first; factories get a URL for the first host plus the full parsed target.
import { RegistryError } from './errors.js';
import type { Registry, RegistryFactory } from './types.js';

export interface HostPort {
  readonly host: string;
  /** 0 when the URL gave none (the backend applies its default port). */
  readonly port: number;
}

export interface RegistryTarget {
  /** Lower-case scheme without the colon: `embedded`, `etcd`, `zookeeper`, `kubernetes`. */
  readonly scheme: string;
  readonly hosts: readonly HostPort[];
  /** Path after the authority (`''` when none), e.g. a ZooKeeper chroot. */
  readonly path: string;
  readonly params: URLSearchParams;
  /** The URL with only the first host (for backends that parse a WHATWG URL). */
  readonly url: URL;
  readonly raw: string;
}

export type BackendFactory = (target: RegistryTarget) => Promise<Registry>;

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/;

function bad(raw: string, why: string): never {
  throw new RegistryError('REG_ERR_INVALID_URL', `"${raw}": ${why}`);
}

/** Parses a `--registry` URL; throws REG_ERR_INVALID_URL naming what is wrong. */
export function parseRegistryUrl(raw: string): RegistryTarget {
  const m = URL_SHAPE.exec(raw.trim());
  if (!m) bad(raw, 'expected scheme://[host:port[,host:port...]][/path][?params]');
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  if (m[5]) bad(raw, 'fragments (#...) are not allowed');
  const hosts: HostPort[] = [];
  if (authority !== '') {
    if (authority.includes('@'))
      bad(raw, 'credentials in the URL are not supported; use the backend’s options');
    for (const part of authority.split(',')) {
      const hp = HOST_PORT.exec(part);
      if (!hp) bad(raw, `"${part}" is not host or host:port`);
      const port = hp[2] === undefined ? 0 : Number(hp[2]);
      if (hp[2] !== undefined && (port < 1 || port > 65535)) bad(raw, `port ${hp[2]} not in 1..65535`);
      hosts.push({ host: hp[1]!, port });
    }
  }
  const path = m[3] ?? '';
  const query = m[4] ?? '';
  const first = hosts[0];
  const firstAuthority = first ? `${first.host}${first.port ? `:${first.port}` : ''}` : '';
  let url: URL;
  try {
    url = new URL(`${scheme}://${firstAuthority}${path}${query}`);
  } catch (err) {
    throw new RegistryError('REG_ERR_INVALID_URL', `"${raw}": ${String(err)}`, { cause: err });
  }
  return { scheme, hosts, path, params: new URLSearchParams(query), url, raw };
}

/** Rejects query parameters a backend does not know (typos must not silently fall back to defaults). */
export function checkParams(target: RegistryTarget, known: readonly string[]): void {
  for (const k of target.params.keys()) {
    if (!known.includes(k))
      bad(target.raw, `unknown parameter "${k}" (known: ${known.join(', ') || 'none'})`);
  }
}

/** Reads an integer parameter within limits. */
export function intParam(
  target: RegistryTarget,
  name: string,
  def: number,
  min: number,
  max: number,
): number {
  const text = target.params.get(name);
  if (text === null) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    bad(target.raw, `${name}=${text} is not an integer in ${min}..${max}`);
  return n;
}

const backends = new Map<string, BackendFactory>();

/** Adds (or replaces) the factory for a scheme. Called from each backend's setup(). */
export function registerBackend(scheme: string, factory: BackendFactory): void {
  backends.set(scheme.toLowerCase(), factory);
}

export function registeredSchemes(): string[] {
  return [...backends.keys()].sort();
}

/** Opens the registry a `--registry` URL names. The backend must have been set up (see setup()). */
export async function openRegistry(raw: string): Promise<Registry> {
  const target = parseRegistryUrl(raw);
  const factory = backends.get(target.scheme);
  if (!factory) {
    const known = registeredSchemes();
    throw new RegistryError(
      'REG_ERR_UNKNOWN_SCHEME',
      `"${raw}": no backend for "${target.scheme}://" (set up: ${known.length ? known.join(', ') : 'none; call setup()'})`,
    );
  }
  return factory(target);
}

/**
 * Adapts a factory that takes a WHATWG URL (as the ZooKeeper backend's does). Extra hosts of a
 * multi-host authority are passed as `backup=h2:p2,h3:p3`, Dubbo's spelling of an ensemble in a URL.
 */
export function registerUrlBackend(scheme: string, factory: RegistryFactory): void {
  registerBackend(scheme, (target) => {
    const url = new URL(target.url.href);
    const extra = target.hosts.slice(1).map((h) => `${h.host}${h.port ? `:${h.port}` : ''}`);
    if (extra.length > 0) {
      const backup = url.searchParams.get('backup');
      url.searchParams.set('backup', [...(backup ? [backup] : []), ...extra].join(','));
    }
    return factory(url);
  });
}
