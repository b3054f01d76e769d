import { describe, expect, it } from 'vitest';
import { type InterceptionConfig, parseCidr, validateConfig } from '../../src/index.js';

function issues(config: InterceptionConfig) {
  const result = validateConfig(config);
  if (result.valid) throw new Error('expected issues');
  return result.issues.map((i) => [i.code, i.path, i.message]);
}

describe('validateConfig', () => {
  it('fills Istio-like defaults', () => {
    const result = validateConfig({});
    expect(result).toEqual({
      valid: true,
      config: {
        outboundPort: 15001,
        inboundPort: 15006,
        proxyUids: [1337],
        proxyGids: [1337],
        includeInboundPorts: '*',
        excludeInboundPorts: [15000, 15020, 15090, 22222],
        includeOutboundCidrs: '*',
        excludeOutboundCidrs: { ipv4: [], ipv6: [] },
        excludeOutboundPorts: [],
        ipv6: false,
      },
    });
  });

  it('sorts and de-duplicates ports and splits CIDRs by family', () => {
    const result = validateConfig({
      excludeInboundPorts: [9090, 15020, 9090],
      excludeOutboundPorts: [5432, 3306, 5432],
      includeOutboundCidrs: ['10.0.0.0/8', 'FD00::/8', '10.0.0.0/8'],
    });
    expect(result.valid).toBe(true);
    if (!result.valid) return;
    expect(result.config.excludeInboundPorts).toEqual([9090, 15000, 15020, 15090, 22222]);
    expect(result.config.excludeOutboundPorts).toEqual([3306, 5432]);
    expect(result.config.includeOutboundCidrs).toEqual({ ipv4: ['10.0.0.0/8'], ipv6: ['fd00::/8'] });
  });

  it.each([
    [
      { outboundPort: 0 },
      'NETFILTER_ERR_INVALID_PORT',
      'outboundPort',
      '0 is not a port (an integer in 1..65535)',
    ],
    [
      { inboundPort: 65536 },
      'NETFILTER_ERR_INVALID_PORT',
      'inboundPort',
      '65536 is not a port (an integer in 1..65535)',
    ],
    [
      { inboundPort: 80.5 },
      'NETFILTER_ERR_INVALID_PORT',
      'inboundPort',
      '80.5 is not a port (an integer in 1..65535)',
    ],
    [
      { excludeOutboundPorts: [22, '3306' as unknown as number] },
      'NETFILTER_ERR_INVALID_PORT',
      'excludeOutboundPorts[1]',
      '"3306" is not a port (an integer in 1..65535)',
    ],
    [
      { includeInboundPorts: [-1] },
      'NETFILTER_ERR_INVALID_PORT',
      'includeInboundPorts[0]',
      '-1 is not a port (an integer in 1..65535)',
    ],
    [
      { excludeOutboundCidrs: ['10.0.0.0'] },
      'NETFILTER_ERR_INVALID_CIDR',
      'excludeOutboundCidrs[0]',
      '"10.0.0.0" is not a CIDR (address/prefix, e.g. 10.0.0.0/8 or fd00::/8)',
    ],
    [
      { includeOutboundCidrs: ['300.1.2.3/8'] },
      'NETFILTER_ERR_INVALID_CIDR',
      'includeOutboundCidrs[0]',
      '"300.1.2.3/8" is not a CIDR (address/prefix, e.g. 10.0.0.0/8 or fd00::/8)',
    ],
    [
      { excludeOutboundCidrs: ['fd00::/129'] },
      'NETFILTER_ERR_INVALID_CIDR',
      'excludeOutboundCidrs[0]',
      '"fd00::/129" is not a CIDR (address/prefix, e.g. 10.0.0.0/8 or fd00::/8)',
    ],
    [
      { excludeOutboundCidrs: '10.0.0.0/8' as unknown as string[] },
      'NETFILTER_ERR_INVALID_CIDR',
      'excludeOutboundCidrs',
      '"10.0.0.0/8" is not a list',
    ],
    [
      { proxyUids: [-1] },
      'NETFILTER_ERR_INVALID_ID',
      'proxyUids[0]',
      '-1 is not a uid/gid (an integer in 0..4294967294)',
    ],
    [
      { proxyGids: [4294967295] },
      'NETFILTER_ERR_INVALID_ID',
      'proxyGids[0]',
      '4294967295 is not a uid/gid (an integer in 0..4294967294)',
    ],
    [
      { proxyUids: [], proxyGids: [] },
      'NETFILTER_ERR_INVALID_ID',
      'proxyUids',
      'proxyUids and proxyGids are both empty; at least one is needed or the proxy captures itself',
    ],
    [
      { excludeOutboundPorts: Array.from({ length: 1025 }, (_, i) => i + 1) },
      'NETFILTER_ERR_INVALID_PORT',
      'excludeOutboundPorts',
      '1025 entries, more than the limit of 1024',
    ],
  ] as const)('%j -> %s at %s', (config, code, path, message) => {
    expect(issues(config as InterceptionConfig)).toEqual([[code, path, message]]);
  });

  it('reports every issue at once, in field order', () => {
    expect(
      issues({
        outboundPort: 0,
        proxyUids: [1.5],
        excludeOutboundCidrs: ['x/1', '10.0.0.0/8', '::/200'],
      }).map(([, path]) => path),
    ).toEqual(['outboundPort', 'proxyUids[0]', 'excludeOutboundCidrs[0]', 'excludeOutboundCidrs[2]']);
  });
});

describe('parseCidr', () => {
  it.each([
    ['0.0.0.0/0', { family: 4, text: '0.0.0.0/0' }],
    ['192.168.1.7/32', { family: 4, text: '192.168.1.7/32' }],
    ['::/0', { family: 6, text: '::/0' }],
    ['FE80::1/64', { family: 6, text: 'fe80::1/64' }],
  ])('accepts %s', (input, expected) => {
    expect(parseCidr(input)).toEqual(expected);
  });

  it.each(['', '/8', '10.0.0.0/', '10.0.0.0/-1', '10.0.0.0/08x', 'fe80::1%eth0/64', '10.0.0/8', 'host/8', 8])(
    'rejects %j',
    (input) => {
      expect(parseCidr(input)).toBeUndefined();
    },
  );
});
