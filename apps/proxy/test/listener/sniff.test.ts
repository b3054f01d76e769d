import { describe, expect, it } from 'vitest';
import { selectFilterChain } from '../../src/listener/filter-chain-match.js';
import { sniff } from '../../src/listener/sniff.js';
import type { FilterChainMatchModel } from '../../src/model/listener.js';

describe('sniff', () => {
  it.each([
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2c'],
    ['PRI * HTTP/2.0', 'more'],
    ['GET / HTTP/1.1\r\n', 'http/1.1'],
    ['POS', 'more'],
    ['POST /x', 'http/1.1'],
    ['\x16\x03\x01', 'tcp'],
    ['SSH-2.0', 'tcp'],
  ])('%j -> %s', (input, want) => {
    expect(sniff(Buffer.from(input, 'latin1'))).toBe(want);
  });
  it('recognises Dubbo magic', () => {
    expect(sniff(Buffer.from([0xda]))).toBe('more');
    expect(sniff(Buffer.from([0xda, 0xbb, 0xc2]))).toBe('dubbo');
  });
});

describe('filter chain match', () => {
  const m = (p: Partial<FilterChainMatchModel>): FilterChainMatchModel => ({
    prefixRanges: [],
    sourcePrefixRanges: [],
    sourcePorts: [],
    transportProtocol: '',
    applicationProtocols: [],
    serverNames: [],
    ...p,
  });
  const chains = [
    {
      name: 'port-9080-http',
      match: m({ destinationPort: 9080, applicationProtocols: ['http/1.1', 'h2c'] }),
    },
    { name: 'port-9080', match: m({ destinationPort: 9080 }) },
    { name: 'net-10', match: m({ prefixRanges: [{ address: '10.0.0.0', prefixLen: 8 }] }) },
    { name: 'net-10-1', match: m({ prefixRanges: [{ address: '10.1.0.0', prefixLen: 16 }] }) },
    { name: 'any-http', match: m({ applicationProtocols: ['http/1.1'] }) },
    { name: 'catch-all', match: m({}) },
  ];
  const info = (ip: string, port: number, app = '') => ({
    destinationIp: ip,
    destinationPort: port,
    sourceIp: '1.2.3.4',
    sourcePort: 5555,
    transportProtocol: 'raw_buffer',
    serverName: '',
    applicationProtocols: app ? [app] : [],
  });
  it.each([
    [info('10.1.2.3', 9080, 'h2c'), 'port-9080-http'],
    [info('10.1.2.3', 9080, ''), 'port-9080'],
    [info('10.1.2.3', 80, ''), 'net-10-1'],
    [info('::ffff:10.9.2.3', 80, ''), 'net-10'],
    [info('192.168.0.1', 80, 'http/1.1'), 'any-http'],
    [info('192.168.0.1', 80, 'dubbo'), 'catch-all'],
  ])('%j -> %s', (i, want) => {
    expect(selectFilterChain(chains, i)?.name).toBe(want);
  });
});

describe('filter chain match on server names and transport protocol', () => {
  const m = (p: Partial<FilterChainMatchModel>): FilterChainMatchModel => ({
    prefixRanges: [],
    sourcePrefixRanges: [],
    sourcePorts: [],
    transportProtocol: '',
    applicationProtocols: [],
    serverNames: [],
    ...p,
  });
  const chains = [
    { name: 'exact-a', match: m({ serverNames: ['a.example.com'], transportProtocol: 'tls' }) },
    { name: 'wild-example', match: m({ serverNames: ['*.example.com'], transportProtocol: 'tls' }) },
    { name: 'wild-deep', match: m({ serverNames: ['*.deep.example.com'], transportProtocol: 'tls' }) },
    { name: 'h2-only', match: m({ serverNames: ['alpn.test'], applicationProtocols: ['h2'] }) },
    { name: 'any-tls', match: m({ transportProtocol: 'tls' }) },
    { name: 'raw', match: m({ transportProtocol: 'raw_buffer' }) },
  ];
  const info = (serverName: string, transportProtocol = 'tls', alpn: string[] = []) => ({
    destinationIp: '10.0.0.1',
    destinationPort: 443,
    sourceIp: '1.2.3.4',
    sourcePort: 5555,
    transportProtocol,
    serverName,
    applicationProtocols: alpn,
  });
  it.each([
    [info('a.example.com'), 'exact-a'],
    [info('b.example.com'), 'wild-example'],
    [info('x.b.example.com'), 'wild-example'],
    [info('x.deep.example.com'), 'wild-deep'],
    [info('example.com'), 'any-tls'],
    [info(''), 'any-tls'],
    [info('other.test'), 'any-tls'],
    [info('', 'raw_buffer'), 'raw'],
    [info('alpn.test', 'tls', ['http/1.1', 'h2']), 'h2-only'],
  ])('%j -> %s', (i, want) => {
    expect(selectFilterChain(chains, i)?.name).toBe(want);
  });
  it('does not fall back past a stage: a name match whose later criteria fail matches nothing', () => {
    expect(selectFilterChain(chains, info('alpn.test', 'tls', ['http/1.1']))).toBeUndefined();
  });
});
