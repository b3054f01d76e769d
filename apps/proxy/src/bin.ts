#!/usr/bin/env node
// strait-proxy --bootstrap FILE [--drain-time-s N] [--admin-address HOST:PORT] [--prometheus-address HOST:PORT|off]
// Every flag also reads from an environment variable (STRAIT_PROXY_BOOTSTRAP, STRAIT_PROXY_DRAIN_TIME_S, ...).
import { loadBootstrapFile } from './config/bootstrap.js';
import { formatIssue, ProxyError } from './errors.js';
import { StraitProxy } from './proxy.js';

interface Flags {
  bootstrap?: string;
  drainTimeS: number;
  adminAddress?: { host: string; port: number };
  prometheusAddress?: { host: string; port: number } | null;
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
  const flags: Flags = { drainTimeS: Number(env['STRAIT_PROXY_DRAIN_TIME_S'] ?? 15) };
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
      case '--admin-address':
        flags.adminAddress = parseAddress(name, value());
        break;
      case '--prometheus-address': {
        const v = value();
        flags.prometheusAddress = v === 'off' ? null : parseAddress(name, v);
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
    ...(flags.adminAddress ? { adminAddress: flags.adminAddress } : {}),
    ...(flags.prometheusAddress !== undefined ? { prometheusAddress: flags.prometheusAddress } : {}),
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
