// Table-driven: every document in test/fixtures/<kind>-valid.yaml must be accepted (with exactly the
// warnings its `strait.io/expect-warnings` annotation lists), and every document in <kind>-invalid.yaml
// must be rejected with exactly the `code path` pairs of its `strait.io/expect` annotation.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYaml, validate } from '../src/index.js';

const dir = new URL('./fixtures/', import.meta.url);
const files = readdirSync(dir).filter((f) => /-(valid|invalid)\.yaml$/.test(f));

interface Case {
  file: string;
  name: string;
  value: unknown;
  expect: string[];
  expectWarnings: string[];
}

function annotation(value: unknown, key: string): string[] {
  const v = value as { metadata?: { annotations?: Record<string, string> } };
  const text = v.metadata?.annotations?.[key] ?? '';
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

function cases(file: string): Case[] {
  const parsed = parseYaml(readFileSync(new URL(file, dir), 'utf8'), file);
  expect(parsed.failures).toEqual([]);
  return parsed.documents.map((d) => ({
    file,
    name: String((d.value as { metadata?: { name?: string } }).metadata?.name ?? d.source.index),
    value: d.value,
    expect: annotation(d.value, 'strait.io/expect'),
    expectWarnings: annotation(d.value, 'strait.io/expect-warnings'),
  }));
}

const pairs = (issues: { code: string; path: string }[]) => issues.map((i) => `${i.code} ${i.path}`).sort();

it('has a valid and an invalid fixture for every kind', () => {
  for (const kind of ['virtualservice', 'destinationrule', 'serviceentry', 'sidecar', 'rpcroute']) {
    expect(files).toContain(`${kind}-valid.yaml`);
    expect(files).toContain(`${kind}-invalid.yaml`);
  }
});

for (const file of files.filter((f) => f.endsWith('-valid.yaml'))) {
  describe(file, () => {
    it.each(cases(file).map((c) => [c.name, c] as const))('%s is accepted', (_name, c) => {
      const result = validate(c.value);
      expect(pairs(result.errors)).toEqual([]);
      expect(result.ok).toBe(true);
      expect(pairs(result.warnings)).toEqual(c.expectWarnings);
    });
  });
}

for (const file of files.filter((f) => f.endsWith('-invalid.yaml'))) {
  describe(file, () => {
    it.each(cases(file).map((c) => [c.name, c] as const))(
      '%s is rejected with the expected errors',
      (_name, c) => {
        expect(c.expect.length).toBeGreaterThan(0);
        const result = validate(c.value);
        expect(result.ok).toBe(false);
        expect(pairs(result.errors)).toEqual(c.expect);
        for (const e of result.errors) expect(e.message.length).toBeGreaterThan(10);
      },
    );
  });
}
