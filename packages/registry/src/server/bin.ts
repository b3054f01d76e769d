#!/usr/bin/env node
// strait-registry --data-dir DIR --address HOST:PORT [--history-limit N] [--snapshot-every N]
// Every flag also reads from the environment: STRAIT_REGISTRY_DATA_DIR, STRAIT_REGISTRY_ADDRESS, ...
// Prints "strait-registry listening on HOST:PORT" once serving (port 0 picks a free port).
import { parseArgs } from 'node:util';
import { RegistryServer } from './server.js';

function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`strait-registry: --${name} must be a positive integer, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      address: { type: 'string' },
      'history-limit': { type: 'string' },
      'snapshot-every': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('usage: strait-registry --data-dir DIR --address HOST:PORT [--history-limit N]\n');
    return;
  }
  const dataDir = values['data-dir'] ?? process.env['STRAIT_REGISTRY_DATA_DIR'];
  const address = values.address ?? process.env['STRAIT_REGISTRY_ADDRESS'] ?? '127.0.0.1:15080';
  if (!dataDir) {
    process.stderr.write('strait-registry: --data-dir (or STRAIT_REGISTRY_DATA_DIR) is required\n');
    process.exit(2);
  }
  const historyLimit = intFlag(
    values['history-limit'] ?? process.env['STRAIT_REGISTRY_HISTORY_LIMIT'],
    'history-limit',
  );
  const snapshotEvery = intFlag(
    values['snapshot-every'] ?? process.env['STRAIT_REGISTRY_SNAPSHOT_EVERY'],
    'snapshot-every',
  );
  const server = new RegistryServer({
    dataDir,
    ...(historyLimit !== undefined ? { historyLimit } : {}),
    ...(snapshotEvery !== undefined ? { snapshotEvery } : {}),
  });
  const port = await server.listen(address);
  const host = address.slice(0, address.lastIndexOf(':'));
  process.stdout.write(`strait-registry listening on ${host}:${port}\n`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`strait-registry: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
