// One vitest setup for every package: default console output plus a JSON report per package,
// which scripts/test-summary.mjs adds up into the closing "N passed, N failed" line.
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export function straitTestConfig(packageDir, overrides = {}) {
  const name = basename(packageDir);
  return {
    test: {
      include: ['test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: resolve(root, '.test-results', `${name}.json`) },
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  };
}
