#!/usr/bin/env node
// strait-proxy --bootstrap FILE [--drain-time-s N] [--admin-address HOST:PORT] [--prometheus-address HOST:PORT|off]
//   [--xds-address HOST:PORT|unix:///path] [--registry URL[#name]]... [--interception iptables|none]
//   [--max-connections-per-listener N]
// Every flag also reads from an environment variable (STRAIT_PROXY_BOOTSTRAP, STRAIT_PROXY_DRAIN_TIME_S, ...).
import { loadBootstrapFile } from './config/bootstrap.js';
import { formatIssue, ProxyError } from './errors.js';
import { StraitProxy } from './proxy.js';

interface Flags {
  bootstrap?: string;
  drainTimeS: number;
  adminAddress?: { host: string; port: number };
  prometheusAddress?: { host: string; port: number } | null;
  /** --xds-address HOST:PORT | unix:///path: replaces the bootstrap's ADS server address. */
  xdsAddress?: string;
  /** --registry URL[#name] (repeatable): registries for scale-out clusters, by name (default: scheme). */
  registries: Map<string, string>;
  /** --interception iptables|none */
  interception?: 'iptables' | 'none';
  /** --max-connections-per-listener N: accepted connections above N are closed and counted. */
  maxConnectionsPerListener?: number;
}

/** `URL#name` -> name and URL (the pilot's --registry syntax); the name defaults to the scheme. */
export function parseRegistryFlag(text: string): { name: string; url: string } {
  const hash = text.indexOf('#');
  const url = hash >= 0 ? text.slice(0, hash) : text;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  if (!scheme) throw new ProxyError('PROXY_ERR_BAD_FLAG', `--registry: "${text}" is not URL[#name]`);
  return { url, name: hash >= 0 && hash < text.length - 1 ? text.slice(hash + 1) : scheme };
}

function parseAddress(flag: string, v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const port = Number(v.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ProxyError('PROXY_ERR_BAD_FLAG', `${flag}: "${v}" is not HOST:PORT`);
  }
  return { host: v.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv): Flags {
  const flags: Flags = { drainTimeS: Number(env['STRAIT_PROXY_DRAIN_TIME_S'] ?? 15), registries: new Map() };
  if (env['STRAIT_PROXY_XDS_ADDRESS']) flags.xdsAddress = env['STRAIT_PROXY_XDS_ADDRESS'];
  for (const r of (env['STRAIT_PROXY_REGISTRY'] ?? '').split(',').filter((x) => x !== '')) {
    const { name, url } = parseRegistryFlag(r);
    flags.registries.set(name, url);
  }
  const icpt = env['STRAIT_PROXY_INTERCEPTION'];
  if (icpt === 'none' || icpt === 'iptables') flags.interception = icpt;
  else if (icpt)
    throw new ProxyError(
      'PROXY_ERR_BAD_FLAG',
      `STRAIT_PROXY_INTERCEPTION: "${icpt}" is not iptables or none`,
    );
  if (env['STRAIT_PROXY_BOOTSTRAP']) flags.bootstrap = env['STRAIT_PROXY_BOOTSTRAP'];
  if (env['STRAIT_PROXY_ADMIN_ADDRESS'])
    flags.adminAddress = parseAddress('STRAIT_PROXY_ADMIN_ADDRESS', env['STRAIT_PROXY_ADMIN_ADDRESS']);
  const promEnv = env['STRAIT_PROXY_PROMETHEUS_ADDRESS'];
  if (promEnv)
    flags.prometheusAddress =
      promEnv === 'off' ? null : parseAddress('STRAIT_PROXY_PROMETHEUS_ADDRESS', promEnv);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new ProxyError('PROXY_ERR_BAD_FLAG', `${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--bootstrap':
      case '-c':
        flags.bootstrap = value();
        break;
      case '--drain-time-s': {
        const v = Number(value());
        if (!Number.isFinite(v) || v < 0)
          throw new ProxyError(
            'PROXY_ERR_BAD_FLAG',
            `--drain-time-s: "${v}" is not a number of seconds >= 0`,
          );
        flags.drainTimeS = v;
        break;
      }
      case '--max-connections-per-listener': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) {
          throw new ProxyError(
            'PROXY_ERR_BAD_FLAG',
            `--max-connections-per-listener: "${v}" is not a whole number >= 1`,
          );
        }
        flags.maxConnectionsPerListener = v;
        break;
      }
      case '--admin-address':
        flags.adminAddress = parseAddress(name, value());
        break;
      case '--prometheus-address': {
        const v = value();
        flags.prometheusAddress = v === 'off' ? null : parseAddress(name, v);
        break;
      }
      case '--xds-address':
        flags.xdsAddress = value();
        break;
      case '--registry': {
        const { name: n, url } = parseRegistryFlag(value());
        flags.registries.set(n, url);
        break;
      }
      case '--interception': {
        const v = value();
        if (v !== 'none' && v !== 'iptables')
          throw new ProxyError('PROXY_ERR_BAD_FLAG', `--interception: "${v}" is not iptables or none`);
        flags.interception = v;
        break;
      }
      default:
        throw new ProxyError('PROXY_ERR_BAD_FLAG', `unknown flag ${arg}`);
    }
  }
  if (!flags.bootstrap) throw new ProxyError('PROXY_ERR_BAD_FLAG', '--bootstrap FILE is required');
  return flags;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), process.env);
  const bootstrap = loadBootstrapFile(flags.bootstrap!);
  const proxy = await StraitProxy.start({
    bootstrap,
    drainTimeMs: flags.drainTimeS * 1000,
    ...(flags.maxConnectionsPerListener
      ? { maxConnectionsPerListener: flags.maxConnectionsPerListener }
      : {}),
    ...(flags.adminAddress ? { adminAddress: flags.adminAddress } : {}),
    ...(flags.prometheusAddress !== undefined ? { prometheusAddress: flags.prometheusAddress } : {}),
    xds: {
      registries: flags.registries,
      ...(flags.xdsAddress ? { xdsAddress: flags.xdsAddress } : {}),
      ...(flags.interception ? { interception: flags.interception } : {}),
    },
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('strait-proxy: draining\n');
    void proxy.drainAndShutdown();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Never crash on a stray error in one connection: count it and keep serving.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`strait-proxy: internal error: ${err.stack ?? err.message}\n`);
  });
  await proxy.waitForExit();
  process.exit(0);
}

main().catch((err: unknown) => {
  if (err instanceof ProxyError) {
    process.stderr.write(`strait-proxy: ${err.code}: ${err.message}\n`);
    for (const i of err.issues) process.stderr.write(`  ${formatIssue(i)}\n`);
  } else process.stderr.write(`strait-proxy: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
