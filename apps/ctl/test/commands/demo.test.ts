import { describe, expect, it } from 'vitest';
import { parseDuration, parseRate } from '../../src/commands/demo.js';
import { main } from '../../src/index.js';

describe('demo flags', () => {
  it('parses durations and rates within their bounds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1500ms')).toBe(1_500);
    expect(parseDuration('8')).toBe(8_000);
    expect(() => parseDuration('10ms')).toThrow('--duration must be 1s..24h');
    expect(() => parseDuration('soon')).toThrow('--duration');
    expect(parseRate(undefined)).toEqual({ http: 200, dubbo: 50 });
    expect(parseRate('100')).toEqual({ http: 100, dubbo: 25 });
    expect(parseRate('100,10')).toEqual({ http: 100, dubbo: 10 });
    expect(() => parseRate('5000')).toThrow('each 1..2000');
  });

  it('rejects an unknown architecture before starting anything', async () => {
    let err = '';
    const code = await main(['demo', '--architecture', 'mesh-of-one'], {
      out: () => {},
      err: (t) => {
        err += t;
      },
    });
    expect(code).toBe(2);
    expect(err).toContain('--architecture must be one of three-in-one, scale-out, colocated');
  });
});
