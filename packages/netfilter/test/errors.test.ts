import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentedCodes } from '@strait/errors';
import { describe, expect, it } from 'vitest';
import {
  NETFILTER_CODES,
  NetfilterAddonUnavailableError,
  NetfilterCommandFailedError,
  NetfilterCommandNotFoundError,
  NetfilterCommandTimeoutError,
  NetfilterError,
  NetfilterInvalidConfigError,
  NetfilterNoFdError,
  NetfilterNotRootError,
  NetfilterOriginalDstError,
  StraitError,
} from '../src/index.js';

const docs = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');

describe('error codes', () => {
  it('docs/errors.md lists every code and no retired ones', () => {
    expect(documentedCodes(docs, '@strait/netfilter', 'NETFILTER_').sort()).toEqual(
      Object.keys(NETFILTER_CODES).sort(),
    );
  });

  it.each([
    [new NetfilterAddonUnavailableError('/x.node'), 'NETFILTER_ERR_ADDON_UNAVAILABLE'],
    [new NetfilterNoFdError('gone'), 'NETFILTER_ERR_NO_FD'],
    [new NetfilterOriginalDstError(92, 'ENOPROTOOPT', 7), 'NETFILTER_ERR_ORIGINAL_DST'],
    [
      new NetfilterInvalidConfigError([
        { code: 'NETFILTER_ERR_INVALID_PORT', path: 'inboundPort', message: 'bad' },
      ]),
      'NETFILTER_ERR_INVALID_CONFIG',
    ],
    [new NetfilterCommandNotFoundError(['iptables']), 'NETFILTER_ERR_COMMAND_NOT_FOUND'],
    [new NetfilterCommandFailedError(['iptables', '-L'], 1, 'no'), 'NETFILTER_ERR_COMMAND_FAILED'],
    [new NetfilterCommandTimeoutError(['iptables'], 10), 'NETFILTER_ERR_COMMAND_TIMEOUT'],
    [new NetfilterNotRootError('1000'), 'NETFILTER_ERR_NOT_ROOT'],
  ] as const)('%s has code %s and the common base', (err, code) => {
    expect(err.code).toBe(code);
    expect(err).toBeInstanceOf(NetfilterError);
    expect(err).toBeInstanceOf(StraitError);
    expect(err.name).toBe(err.constructor.name);
    expect(Object.keys(NETFILTER_CODES)).toContain(err.code);
  });

  it('names errno and fd for getsockopt failures', () => {
    const err = new NetfilterOriginalDstError(92, 'ENOPROTOOPT', 7);
    expect(err.message).toBe('getsockopt(SO_ORIGINAL_DST) on fd 7 failed: ENOPROTOOPT (errno 92)');
    expect(err.context).toEqual({ errno: 92, errnoName: 'ENOPROTOOPT', fd: 7 });
  });

  it('says root is required, with the uid it saw', () => {
    expect(new NetfilterNotRootError('1000').message).toMatch(/^root is required: .*\(id -u is 1000\)/);
  });
});
