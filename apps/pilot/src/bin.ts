#!/usr/bin/env node
// strait-pilot: parse flags (and STRAIT_PILOT_* variables), start, print the bound addresses as
// machine-readable lines on stdout, stop cleanly on SIGINT/SIGTERM.
import { parseArgs, usage } from './cli.js';
import { isPilotError } from './errors.js';
import { createLogger } from './log.js';
import { Pilot } from './pilot.js';
import { openRegistries } from './sources/open-registries.js';
import { loadXdsTls } from './xds/auth.js';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(
      `strait-pilot: ${(err as Error).message}\n${isPilotError(err) ? `(${err.code})\n` : ''}\n${usage()}`,
    );
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(usage());
    return 0;
  }
  const o = parsed.options;
  // Handlers go in before anything is printed: a script may signal as soon as it reads the address.
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const log = createLogger(o.logLevel);
  // With a cluster as config source, its Services/EndpointSlices are a registry too (as Istio's
  // Kubernetes registry is on whenever it reads CRDs), unless one is named explicitly.
  const urls = [...o.registries];
  if (o.kubeconfig && !urls.some((u) => u.startsWith('kubernetes:'))) {
    urls.push(`kubernetes://?kubeconfig=${encodeURIComponent(o.kubeconfig)}`);
  }
  const registries = await openRegistries(urls);
  const pilot = await Pilot.start({
    ...(o.configDir ? { configDir: o.configDir } : {}),
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...((o.architecture === 'colocated' &&
      o.xdsUnixSocket &&
      !process.argv.some((a) => a.startsWith('--xds-address')) &&
      !process.env['STRAIT_PILOT_XDS_ADDRESS']) ||
    !o.xdsAddress
      ? {}
      : { xdsAddress: o.xdsAddress }),
    ...(o.xdsTls ? { xdsTls: await loadXdsTls(o.xdsTls) } : {}),
    httpAddress: o.httpAddress,
    architecture: o.architecture,
    registries: registries.list,
    registryName: registries.name,
    debounceAfterMs: o.debounceAfterMs,
    debounceMaxMs: o.debounceMaxMs,
    pushConcurrency: o.pushConcurrency,
    sendQueueLimit: o.sendQueueLimit,
    sendBudgetBytes: o.sendBudgetBytes,
    encodeCacheBytes: o.encodeCacheBytes,
    ...(o.xdsUnixSocket ? { xdsUnixSocket: o.xdsUnixSocket } : {}),
    log,
  });
  if (pilot.xdsAddress) process.stdout.write(`xds listening on ${pilot.xdsAddress}\n`);
  if (pilot.xdsTlsAddress) process.stdout.write(`xds-tls listening on ${pilot.xdsTlsAddress}\n`);
  if (o.xdsUnixSocket) process.stdout.write(`xds listening on unix://${o.xdsUnixSocket}\n`);
  process.stdout.write(`http listening on ${pilot.httpAddress}\n`);
  log.info('strait-pilot started', {
    architecture: o.architecture,
    xds: pilot.xdsAddress,
    xdsTls: pilot.xdsTlsAddress,
    http: pilot.httpAddress,
  });
  await stop;
  log.info('shutting down');
  await pilot.close();
  await registries.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `strait-pilot: ${(err as Error).message}${isPilotError(err) ? ` (${err.code})` : ''}\n`,
    );
    process.exit(1);
  },
);
