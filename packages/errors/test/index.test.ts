import { describe, expect, it } from 'vitest';
import { documentedCodes, StraitError } from '../src/index.js';

class DemoError extends StraitError {}

describe('StraitError', () => {
  it('carries code, message, context and cause; name is the concrete class', () => {
    const cause = new Error('root');
    const err = new DemoError('DEMO_ERR_X', 'went wrong', { port: 1 }, { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(StraitError);
    expect(err.name).toBe('DemoError');
    expect(err.code).toBe('DEMO_ERR_X');
    expect(err.message).toBe('went wrong');
    expect(err.context).toEqual({ port: 1 });
    expect(err.cause).toBe(cause);
  });

  it('defaults context to an empty record', () => {
    expect(new StraitError('X', 'm').context).toEqual({});
  });
});

describe('documentedCodes', () => {
  const doc = [
    '# Error codes',
    '',
    '## @strait/a',
    '',
    'Prose mentioning `A_ERR_PROSE` is not a listing.',
    '',
    '| code | meaning |',
    '|---|---|',
    '| `A_ERR_ONE` | one |',
    '| `A_WARN_TWO` | two |',
    '| `B_ERR_OTHER` | another prefix |',
    '',
    '## @strait/ab',
    '',
    '| `A_ERR_NEXT` | next section |',
  ].join('\n');

  it('lists the table codes with the prefix in the named section only', () => {
    expect(documentedCodes(doc, '@strait/a', 'A_')).toEqual(['A_ERR_ONE', 'A_WARN_TWO']);
    expect(documentedCodes(doc, '@strait/ab', 'A_')).toEqual(['A_ERR_NEXT']);
  });

  it('throws when the section is missing', () => {
    expect(() => documentedCodes(doc, '@strait/c', 'C_')).toThrow('no "## @strait/c" section');
  });
});
