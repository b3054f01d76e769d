import { readFileSync } from 'node:fs';
import { documentedCodes } from '@strait/errors';
import { describe, expect, it } from 'vitest';
import { CFG_CODES, ConfigError, StraitError } from '../src/errors.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('errors', () => {
  it('docs/errors.md lists every CFG code, and no retired ones', () => {
    const listed = documentedCodes(docs, '@strait/config', 'CFG_');
    expect(new Set(listed)).toEqual(new Set(Object.keys(CFG_CODES)));
  });

  it.each(Object.keys(CFG_CODES) as (keyof typeof CFG_CODES)[])(
    '%s is a ConfigError with a default message',
    (code) => {
      const err = new ConfigError(code);
      expect(err).toBeInstanceOf(StraitError);
      expect(err.code).toBe(code);
      expect(err.message).toBe(CFG_CODES[code]);
    },
  );
});
