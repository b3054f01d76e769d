import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RegistryError, RegistryErrorCodes } from '../src/errors.js';

describe('RegistryError', () => {
  it.each(Object.keys(RegistryErrorCodes))('%s has a stable code and default message', (code) => {
    const err = new RegistryError(code as keyof typeof RegistryErrorCodes, 'detail');
    expect(err.code).toBe(code);
    expect(err.name).toBe('RegistryError');
    expect(err.message).toBe(`${RegistryErrorCodes[code as keyof typeof RegistryErrorCodes]}: detail`);
  });

  it('docs/errors.md lists every code and no retired one', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## @strait/registry'));
    const end = section.indexOf('\n## ', 5);
    const listed = new Set(
      [...(end > 0 ? section.slice(0, end) : section).matchAll(/`(REG_ERR_[A-Z_]+)`/g)].map((m) => m[1]),
    );
    expect([...listed].sort()).toEqual(Object.keys(RegistryErrorCodes).sort());
  });
});
