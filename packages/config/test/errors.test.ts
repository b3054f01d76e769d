import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CFG_CODES, ConfigError, StraitError } from '../src/errors.js';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const section = docs.slice(docs.indexOf('## @strait/config')).split(/\n## /)[0] ?? '';

describe('errors', () => {
  it('docs/errors.md lists every CFG code, and no retired ones', () => {
    const listed = [...section.matchAll(/`(CFG_(?:ERR|WARN)_[A-Z0-9_]+)`/g)].map((m) => m[1]);
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
