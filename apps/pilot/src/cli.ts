// Command line and environment → PilotOptions. Pure: takes argv and env, returns options or throws a
// PilotError naming the flag, the value and what was expected. Every flag also reads from
// STRAIT_PILOT_<FLAG_IN_UPPER_SNAKE_CASE>; a flag given on the command line wins over its variable.
import { PilotError } from './errors.js';
import type { LogLevel } from './log.js';

import type { Architecture } from './model/push-context.js';

export type { Architecture };
export const ARCHITECTURES: readonly Architecture[] = ['colocated', 'three-in-one', 'scale-out'];

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface PilotOptions {
  readonly configDir: string | undefined;
  /** Plaintext ADS (Istio's 15010); undefined with `--xds-address none`. */
  readonly xdsAddress: HostPort | undefined;
  /** ADS over TLS (Istio's 15012) with client-certificate or bearer-token authentication. */
  readonly xdsTls: XdsTlsFlags | undefined;
  readonly httpAddress: HostPort;
  readonly architecture: Architecture;
  readonly registries: readonly string[];
  readonly kubeconfig: string | undefined;
  readonly debounceAfterMs: number;
  readonly debounceMaxMs: number;
  readonly pushConcurrency: number;
  /** Colocated: serve xDS on this Unix socket (in addition to, or instead of, --xds-address). */
  readonly xdsUnixSocket: string | undefined;
  /** Most queued responses per connection before a client is deemed stuck and disconnected. */
  readonly sendQueueLimit: number;
  /** Unflushed response bytes, summed over connections, above which no further push starts. */
  readonly sendBudgetBytes: number;
  /** Bound on the encoded resource sections shared between streams. */
  readonly encodeCacheBytes: number;
  readonly logLevel: LogLevel;
}

export interface XdsTlsFlags {
  readonly address: HostPort;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | undefined;
  /** A file of tokens (one a line) or a directory (one token per file). */
  readonly tokenFile: string | undefined;
}

type FlagKind = 'string' | 'list' | 'duration' | 'int' | 'address' | 'enum' | 'bool';
interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  readonly help: string;
  readonly values?: readonly string[];
}

// One declared list: parsing, env names and --help all come from it.
export const FLAGS: readonly FlagSpec[] = [
  { name: 'config-dir', kind: 'string', help: 'directory of Istio-format YAML config, watched for changes' },
  {
    name: 'xds-address',
    kind: 'address',
    help: 'HOST:PORT of the plaintext ADS gRPC server (port 0: pick one; none: off). Default 0.0.0.0:15010',
  },
  {
    name: 'xds-tls-address',
    kind: 'address',
    help: 'HOST:PORT of ADS over TLS (Istio 15012); needs --tls-cert, --tls-key and --tls-client-ca and/or --xds-token-file',
  },
  { name: 'tls-cert', kind: 'string', help: 'PEM certificate chain of the TLS xDS listener' },
  { name: 'tls-key', kind: 'string', help: 'PEM private key of the TLS xDS listener' },
  {
    name: 'tls-client-ca',
    kind: 'string',
    help: 'PEM CA bundle; a client certificate it verifies authenticates a TLS xDS stream',
  },
  {
    name: 'xds-token-file',
    kind: 'string',
    help: 'accepted bearer tokens: a file (one a line, # comments) or a directory (one per file)',
  },
  {
    name: 'http-address',
    kind: 'address',
    help: 'HOST:PORT of metrics and /debug/* (port 0: pick one). Default 0.0.0.0:15014',
  },
  {
    name: 'architecture',
    kind: 'enum',
    values: ARCHITECTURES,
    help: 'colocated | three-in-one | scale-out. Default three-in-one',
  },
  {
    name: 'registry',
    kind: 'list',
    help: 'registry URL (repeatable; the variable takes a comma-separated list)',
  },
  { name: 'kubeconfig', kind: 'string', help: 'kubeconfig of a Kubernetes cluster to read config from' },
  { name: 'debounce-after', kind: 'duration', help: 'quiet period before a push. Default 100ms' },
  {
    name: 'debounce-max',
    kind: 'duration',
    help: 'longest a push may be delayed by debouncing. Default 10s',
  },
  { name: 'push-concurrency', kind: 'int', help: 'most proxies being pushed to at once. Default 100' },
  { name: 'xds-unix-socket', kind: 'string', help: 'also serve ADS on this Unix socket (colocated)' },
  {
    name: 'send-queue-limit',
    kind: 'int',
    help: 'most queued responses per connection before disconnecting it. Default 64',
  },
  {
    name: 'send-budget-mib',
    kind: 'int',
    help: 'unflushed response MiB (all connections) above which pushes wait. Default 64',
  },
  {
    name: 'encode-cache-mib',
    kind: 'int',
    help: 'MiB of encoded resources shared between proxies with equal config. Default 256',
  },
  { name: 'log-level', kind: 'enum', values: ['debug', 'info', 'warn', 'error'], help: 'Default info' },
  { name: 'help', kind: 'bool', help: 'print this help' },
];

export function envName(flag: string): string {
  return `STRAIT_PILOT_${flag.toUpperCase().replaceAll('-', '_')}`;
}

export function usage(): string {
  const lines = [
    'usage: strait-pilot --config-dir DIR --xds-address HOST:PORT --http-address HOST:PORT [flags]',
    '',
  ];
  for (const f of FLAGS) lines.push(`  --${f.name.padEnd(20)} ${f.help} [${envName(f.name)}]`);
  return `${lines.join('\n')}\n`;
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go-style durations ("100ms", "10s", "1m30s", "0"); returns milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const t = text.trim();
  if (t === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== t.length) {
    throw new PilotError(
      'PILOT_ERR_INVALID_DURATION',
      `--${flag} "${text}": expected a number with a unit (ns, us, ms, s, m, h), e.g. 100ms or 10s`,
    );
  }
  return total;
}

/** HOST:PORT, [IPv6]:PORT or :PORT (all interfaces). */
export function parseHostPort(text: string, flag = 'address'): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new PilotError(
      'PILOT_ERR_INVALID_ADDRESS',
      `--${flag} "${text}": expected HOST:PORT with PORT in 0..65535`,
    );
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function parseIntFlag(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new PilotError('PILOT_ERR_INVALID_FLAG', `--${flag} "${text}": expected an integer >= ${min}`);
  }
  return n;
}

export type ParseResult = { readonly help: true } | { readonly help: false; readonly options: PilotOptions };

/** Parses argv (without node and script) and env. Throws PilotError on the first bad flag. */
export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParseResult {
  const byName = new Map(FLAGS.map((f) => [f.name, f]));
  const raw = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      throw new PilotError('PILOT_ERR_INVALID_FLAG', `unexpected argument "${arg}" (flags are --name value)`);
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = byName.get(name);
    if (!spec) throw new PilotError('PILOT_ERR_INVALID_FLAG', `unknown flag --${name}; see --help`);
    let value: string;
    if (spec.kind === 'bool') value = eq >= 0 ? arg.slice(eq + 1) : 'true';
    else if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new PilotError('PILOT_ERR_INVALID_FLAG', `--${name} needs a value`);
      }
      value = next;
      i++;
    }
    const list = raw.get(name) ?? [];
    if (spec.kind !== 'list' && list.length > 0) {
      throw new PilotError('PILOT_ERR_INVALID_FLAG', `--${name} given more than once`);
    }
    list.push(value);
    raw.set(name, list);
  }
  // Environment fills in whatever the command line did not give.
  for (const f of FLAGS) {
    if (raw.has(f.name)) continue;
    const v = env[envName(f.name)];
    if (v === undefined || v === '') continue;
    raw.set(
      f.name,
      f.kind === 'list'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : [v],
    );
  }
  const one = (name: string): string | undefined => raw.get(name)?.[0];
  if (one('help') === 'true') return { help: true };

  const enumFlag = <T extends string>(name: string, fallback: T): T => {
    const v = one(name);
    if (v === undefined) return fallback;
    const allowed = byName.get(name)!.values!;
    if (!allowed.includes(v)) {
      throw new PilotError(
        'PILOT_ERR_INVALID_FLAG',
        `--${name} "${v}": expected one of ${allowed.join(', ')}`,
      );
    }
    return v as T;
  };
  const duration = (name: string, fallback: number): number => {
    const v = one(name);
    return v === undefined ? fallback : parseDuration(v, name);
  };
  const int = (name: string, fallback: number, min: number): number => {
    const v = one(name);
    return v === undefined ? fallback : parseIntFlag(v, name, min);
  };
  const address = (name: string, fallback: string): HostPort => parseHostPort(one(name) ?? fallback, name);

  const xdsAddressText = one('xds-address') ?? '0.0.0.0:15010';
  const xdsAddress =
    xdsAddressText.trim() === 'none' ? undefined : parseHostPort(xdsAddressText, 'xds-address');
  const xdsTls = tlsFlags(one);
  if (!xdsAddress && !xdsTls && !one('xds-unix-socket')) {
    throw new PilotError(
      'PILOT_ERR_INVALID_FLAG',
      '--xds-address none: nothing would serve xDS; give --xds-tls-address or --xds-unix-socket',
    );
  }
  const architecture = enumFlag<Architecture>('architecture', 'three-in-one');
  const configDir = one('config-dir');
  const kubeconfig = one('kubeconfig');
  const xdsUnixSocket = one('xds-unix-socket');
  if (configDir === undefined && kubeconfig === undefined) {
    throw new PilotError('PILOT_ERR_INVALID_FLAG', '--config-dir DIR (or --kubeconfig FILE) is required');
  }
  const debounceAfterMs = duration('debounce-after', 100);
  const debounceMaxMs = duration('debounce-max', 10_000);
  if (debounceMaxMs < debounceAfterMs) {
    throw new PilotError(
      'PILOT_ERR_INVALID_FLAG',
      `--debounce-max (${debounceMaxMs} ms) must not be shorter than --debounce-after (${debounceAfterMs} ms)`,
    );
  }
  for (const url of raw.get('registry') ?? []) {
    if (!URL.canParse(url)) {
      throw new PilotError(
        'PILOT_ERR_INVALID_FLAG',
        `--registry "${url}": not a URL (e.g. embedded://local, etcd://host:2379)`,
      );
    }
  }
  return {
    help: false,
    options: {
      configDir,
      xdsAddress,
      xdsTls,
      httpAddress: address('http-address', '0.0.0.0:15014'),
      architecture,
      registries: raw.get('registry') ?? [],
      kubeconfig,
      debounceAfterMs,
      debounceMaxMs,
      pushConcurrency: int('push-concurrency', 100, 1),
      xdsUnixSocket,
      sendQueueLimit: int('send-queue-limit', 64, 1),
      sendBudgetBytes: int('send-budget-mib', 64, 1) * 1024 * 1024,
      encodeCacheBytes: int('encode-cache-mib', 256, 0) * 1024 * 1024,
      logLevel: enumFlag<LogLevel>('log-level', 'info'),
    },
  };
}

function tlsFlags(one: (name: string) => string | undefined): XdsTlsFlags | undefined {
  const addr = one('xds-tls-address');
  const certFile = one('tls-cert');
  const keyFile = one('tls-key');
  const clientCaFile = one('tls-client-ca');
  const tokenFile = one('xds-token-file');
  if (addr === undefined) {
    const stray = (['tls-cert', 'tls-key', 'tls-client-ca', 'xds-token-file'] as const).find(
      (f) => one(f) !== undefined,
    );
    if (stray) {
      throw new PilotError('PILOT_ERR_INVALID_FLAG', `--${stray} needs --xds-tls-address HOST:PORT`);
    }
    return undefined;
  }
  const address = parseHostPort(addr, 'xds-tls-address');
  if (certFile === undefined || keyFile === undefined) {
    throw new PilotError(
      'PILOT_ERR_INVALID_FLAG',
      '--xds-tls-address needs --tls-cert FILE and --tls-key FILE',
    );
  }
  if (clientCaFile === undefined && tokenFile === undefined) {
    throw new PilotError(
      'PILOT_ERR_INVALID_FLAG',
      '--xds-tls-address needs a way to authenticate proxies: --tls-client-ca FILE and/or --xds-token-file FILE',
    );
  }
  return { address, certFile, keyFile, clientCaFile, tokenFile };
}
