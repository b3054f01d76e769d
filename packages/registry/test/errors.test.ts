import { readFileSync } from 'node:fs';
import { documentedCodes } from '@strait/errors';
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
    const listed = new Set(documentedCodes(doc, '@strait/registry', 'REG_ERR_'));
    expect([...listed].sort()).toEqual(Object.keys(RegistryErrorCodes).sort());
  });
});
