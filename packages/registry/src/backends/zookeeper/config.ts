// `zookeeper://host:port[/chroot]?layout=interface|application&...` → validated options.
//
// Parameters (all optional):
//   layout            interface (default: Dubbo 2 `/dubbo/<interface>/providers`) | application (Dubbo 3 `/services/<app>`)
//   group             Dubbo's registry group: the root node name (default `dubbo`), as Dubbo's `group=` does
//   backup            more servers, `h1:p1,h2:p2` (Dubbo's spelling of a ZooKeeper ensemble in a URL)
//   sessionTimeoutMs  requested session timeout (default 10000; the server clamps it to 2..20 ticks)
//   connectTimeoutMs  bound on the first connect (default 10000)
//   opTimeoutMs       bound on each call (default = sessionTimeoutMs)
//   maxWatchedServices bound on concurrently watched services (default 4096)
//   maxMappings       bound on interfaces indexed from /<root>/mapping (default 100000; application layout)
import { RegistryError } from '../../errors.js';

export type Layout = 'interface' | 'application';

export interface ZooKeeperOptions {
  readonly connectString: string;
  /** Path prefix (`''` or `/a/b`); created on demand, unlike a connect-string chroot. */
  readonly chroot: string;
  readonly layout: Layout;
  /** Root node name for interface-level data and the mapping (`dubbo`). */
  readonly group: string;
  readonly sessionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly opTimeoutMs: number;
  readonly maxWatchedServices: number;
  readonly maxMappings: number;
}

const KNOWN = new Set([
  'layout',
  'group',
  'backup',
  'sessionTimeoutMs',
  'connectTimeoutMs',
  'opTimeoutMs',
  'maxWatchedServices',
  'maxMappings',
]);

function bad(url: URL, why: string): never {
  throw new RegistryError('REG_ERR_INVALID_URL', `${url.href}: ${why}`);
}

function intParam(url: URL, name: string, def: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    bad(url, `${name}=${text} not an integer in ${min}..${max}`);
  return n;
}

const NAME = /^[A-Za-z0-9._-]+$/;

export function parseZooKeeperUrl(url: URL): ZooKeeperOptions {
  if (url.protocol !== 'zookeeper:') bad(url, `scheme must be zookeeper:, got ${url.protocol}`);
  if (url.hostname === '') bad(url, 'missing host');
  for (const k of url.searchParams.keys()) if (!KNOWN.has(k)) bad(url, `unknown parameter "${k}"`);
  const port = url.port === '' ? 2181 : Number(url.port);
  const hosts = [`${url.hostname}:${port}`];
  const backup = url.searchParams.get('backup');
  if (backup) {
    for (const h of backup.split(',')) {
      if (!/^[^:,\s]+:\d{1,5}$/.test(h.trim())) bad(url, `backup entry "${h}" must be host:port`);
      hosts.push(h.trim());
    }
  }
  const layout = url.searchParams.get('layout') ?? 'interface';
  if (layout !== 'interface' && layout !== 'application') {
    bad(url, `layout=${layout} must be interface or application`);
  }
  const group = url.searchParams.get('group') ?? 'dubbo';
  if (!NAME.test(group)) bad(url, `group=${group} must match ${NAME.source}`);
  const chroot = url.pathname === '/' || url.pathname === '' ? '' : url.pathname.replace(/\/+$/, '');
  for (const seg of chroot.split('/').slice(1)) {
    if (!NAME.test(seg)) bad(url, `chroot segment "${seg}" must match ${NAME.source}`);
  }
  const sessionTimeoutMs = intParam(url, 'sessionTimeoutMs', 10_000, 100, 600_000);
  return {
    connectString: hosts.join(','),
    chroot,
    layout,
    group,
    sessionTimeoutMs,
    connectTimeoutMs: intParam(url, 'connectTimeoutMs', 10_000, 100, 600_000),
    opTimeoutMs: intParam(url, 'opTimeoutMs', sessionTimeoutMs, 100, 600_000),
    maxWatchedServices: intParam(url, 'maxWatchedServices', 4096, 1, 1_000_000),
    maxMappings: intParam(url, 'maxMappings', 100_000, 1, 10_000_000),
  };
}
