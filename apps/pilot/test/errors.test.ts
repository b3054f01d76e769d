import { readFileSync } from 'node:fs';
import { documentedCodes } from '@strait/errors';
import { describe, expect, it } from 'vitest';
import { isPilotError, PilotError, PilotErrorCodes } from '../src/errors.js';

describe('PilotError', () => {
  it.each(Object.keys(PilotErrorCodes) as (keyof typeof PilotErrorCodes)[])(
    '%s has a stable code and message',
    (code) => {
      const err = new PilotError(code, 'detail');
      expect(err.code).toBe(code);
      expect(err.message).toBe(`${PilotErrorCodes[code]}: detail`);
      expect(isPilotError(err, code)).toBe(true);
    },
  );

  it('docs/errors.md lists every code in the strait-pilot section and no retired ones', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const listed = documentedCodes(doc, 'strait-pilot', 'PILOT_ERR_');
    expect(new Set(listed)).toEqual(new Set(Object.keys(PilotErrorCodes)));
  });
});
