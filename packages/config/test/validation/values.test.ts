import { describe, expect, it } from 'vitest';
import { Issues } from '../../src/validation/issues.js';
import {
  checkWeights,
  cidrProblem,
  durationToProto,
  headerNameProblem,
  hostProblem,
  parseDuration,
  regexProblem,
} from '../../src/validation/values.js';

describe('parseDuration', () => {
  it.each([
    ['1s', 1000],
    ['100ms', 100],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['500us', 0.5],
    ['0.5ms', 0.5],
    ['0', 0],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '1', '1 s', 's', '1d', '-1s', '1.s', 'PT1S'])('%j is rejected', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('converts to protobuf seconds and nanos', () => {
    expect(durationToProto('1.25s')).toEqual({ seconds: 1, nanos: 250_000_000 });
    expect(durationToProto('100ms')).toEqual({ seconds: 0, nanos: 100_000_000 });
    expect(durationToProto('bad')).toBeUndefined();
  });
});

describe('hostProblem', () => {
  const prefix = { wildcard: 'prefix' as const };
  it.each(['reviews', 'reviews.default.svc.cluster.local', '*.example.com', '*', 'a-b.c_d.example.com'])(
    '%s is valid',
    (h) => {
      expect(hostProblem(h, prefix)).toBeUndefined();
    },
  );
  it.each(['', 'foo.*.com', '*foo.com', 'a..b', '-a.com', `${'a'.repeat(64)}.com`, 'bad host'])(
    '%j is invalid',
    (h) => {
      expect(hostProblem(h, prefix)).toBeTypeOf('string');
    },
  );
  it('refuses wildcards, bare "*" and IPs when the rules say so', () => {
    expect(hostProblem('*.a.com', { wildcard: 'none' })).toMatch(/wildcard/);
    expect(hostProblem('*', { wildcard: 'prefix', bareWildcard: false })).toMatch(/"\*"/);
    expect(hostProblem('10.0.0.1', prefix)).toMatch(/IP/);
    expect(hostProblem('10.0.0.1', { ...prefix, allowIp: true })).toBeUndefined();
  });
});

describe('regexProblem', () => {
  it.each(['^/api/.*$', '(?P<id>\\d+)', '[a-z]+', '\\d{1,3}'])('%s compiles as RE2', (r) => {
    expect(regexProblem(r)).toBeUndefined();
  });
  it.each([
    ['(unclosed', /Unterminated|Invalid/i],
    ['(?=x)y', /lookaround/],
    ['(a)\\1', /backreferences/],
    ['(?<id>x)', /named groups/],
    ['a'.repeat(2000), /limit 1024/],
  ])('%s is refused', (r, why) => {
    expect(regexProblem(r)).toMatch(why);
  });
});

describe('headerNameProblem', () => {
  it('accepts lower-case tokens and, in matches, pseudo-headers', () => {
    expect(headerNameProblem('x-user')).toBeUndefined();
    expect(headerNameProblem(':authority', { allowPseudo: true })).toBeUndefined();
  });
  it('rejects upper case, spaces and pseudo-headers outside matches', () => {
    expect(headerNameProblem('X-User')).toMatch(/lower-case/);
    expect(headerNameProblem('x user')).toMatch(/token/);
    expect(headerNameProblem(':path')).toMatch(/token/);
  });
});

describe('cidrProblem', () => {
  it.each(['10.0.0.1', '10.0.0.0/8', '::1', 'fd00::/64'])('%s is valid', (c) => {
    expect(cidrProblem(c)).toBeUndefined();
  });
  it.each(['10.0.0.0/33', 'fd00::/129', '300.0.0.1', 'example.com', '10.0.0.0/x'])('%s is invalid', (c) => {
    expect(cidrProblem(c)).toBeTypeOf('string');
  });
});

describe('checkWeights (Istio 1.15+: relative weights)', () => {
  const check = (...weights: (number | undefined)[]) => {
    const issues = new Issues();
    checkWeights(
      issues,
      'spec.http[0].route',
      weights.map((weight) => ({ destination: { host: 'reviews' }, weight })),
    );
    return issues.errors.map((e) => `${e.code} ${e.path}: ${e.message}`);
  };

  it.each([[[30, 30]], [[1, 0, 3]], [[100]], [[0]], [[undefined]], [[250, 750]], [[2_147_483_646, 1]]])(
    'accepts %j',
    (weights) => {
      expect(check(...weights)).toEqual([]);
    },
  );

  it('refuses a negative weight, naming the destination, and does not also judge the total', () => {
    expect(check(10, -5)).toEqual([
      'CFG_ERR_INVALID_WEIGHT spec.http[0].route[1].weight: weight -5 is negative; weights must be >= 0',
    ]);
  });

  it('refuses several destinations whose weights add up to 0 (omitted counts as 0)', () => {
    const zero =
      'CFG_ERR_WEIGHT_SUM spec.http[0].route: weights add up to 0 across 2 destinations; at least one must be above 0';
    expect(check(0, 0)).toEqual([zero]);
    expect(check(undefined, undefined)).toEqual([zero]);
  });

  it('bounds each weight and the total by int32, as Istio sums them', () => {
    expect(check(2_147_483_648)).toEqual([
      'CFG_ERR_INVALID_WEIGHT spec.http[0].route[0].weight: weight 2147483648 is above the int32 limit of 2147483647',
    ]);
    expect(check(2_000_000_000, 2_000_000_000)).toEqual([
      'CFG_ERR_WEIGHT_SUM spec.http[0].route: weights add up to 4000000000, above the limit of 2147483647',
    ]);
  });
});
