// Istio YAML → validated config objects, for translation tests that state their config inline.
import { type ConfigObject, parseYaml, validate } from '@strait/config';
import { expect } from 'vitest';

export function configFromYaml(yaml: string): ConfigObject[] {
  const parsed = parseYaml(yaml, 'test.yaml');
  expect(parsed.failures).toEqual([]);
  return parsed.documents.map((d) => {
    const r = validate(d.value);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.object;
  });
}
