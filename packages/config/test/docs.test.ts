// docs/config.md promises that its unsupported-field table matches the schemas: keep it honest.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ALL_KINDS, kindSchema, unsupportedPaths } from '../src/index.js';

const docs = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
const table = docs.slice(docs.indexOf('## Unsupported Istio fields')).split(/\n## /)[0] ?? '';

it('docs/config.md lists every unsupported field of every kind', () => {
  for (const kind of ALL_KINDS) {
    for (const { path } of unsupportedPaths(kindSchema(kind))) {
      const field = path.split('.').at(-1) ?? path;
      const rows = table.split('\n').filter((l) => l.startsWith(`| ${kind} |`));
      expect(
        rows.some((r) => r.includes(field)),
        `${kind} ${path}`,
      ).toBe(true);
    }
  }
});
