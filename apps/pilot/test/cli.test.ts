import { describe, expect, it } from 'vitest';
import { envName, parseArgs, parseDuration, parseHostPort } from '../src/cli.js';
import { isPilotError } from '../src/errors.js';

const base = ['--config-dir', '/cfg', '--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0'];

function options(argv: string[], env: Record<string, string> = {}) {
  const r = parseArgs(argv, env);
  if (r.help) throw new Error('help');
  return r.options;
}

describe('parseArgs', () => {
  it('reads flags with Istio-like defaults', () => {
    const o = options(base);
    expect(o).toMatchObject({
      configDir: '/cfg',
      xdsAddress: { host: '127.0.0.1', port: 0 },
      architecture: 'three-in-one',
      debounceAfterMs: 100,
      debounceMaxMs: 10_000,
      pushConcurrency: 100,
      registries: [],
    });
  });

  it('takes every flag from STRAIT_PILOT_* and lets the command line win', () => {
    const o = options(['--debounce-after', '5ms'], {
      STRAIT_PILOT_CONFIG_DIR: '/env',
      STRAIT_PILOT_DEBOUNCE_AFTER: '1s',
      STRAIT_PILOT_REGISTRY: 'embedded://a, embedded://b',
      STRAIT_PILOT_ARCHITECTURE: 'scale-out',
    });
    expect(o.configDir).toBe('/env');
    expect(o.debounceAfterMs).toBe(5);
    expect(o.registries).toEqual(['embedded://a', 'embedded://b']);
    expect(o.architecture).toBe('scale-out');
    expect(envName('xds-unix-socket')).toBe('STRAIT_PILOT_XDS_UNIX_SOCKET');
  });

  it('TLS xDS: --xds-tls-address with cert, key and a client CA and/or token file; --xds-address none turns plaintext off', () => {
    const o = options(
      [
        ...base.slice(0, 2),
        '--xds-address',
        'none',
        '--xds-tls-address',
        ':15012',
        '--tls-cert',
        '/t/cert.pem',
        '--tls-key',
        '/t/key.pem',
        '--tls-client-ca',
        '/t/ca.pem',
      ],
      { STRAIT_PILOT_XDS_TOKEN_FILE: '/t/tokens' },
    );
    expect(o.xdsAddress).toBeUndefined();
    expect(o.xdsTls).toEqual({
      address: { host: '0.0.0.0', port: 15012 },
      certFile: '/t/cert.pem',
      keyFile: '/t/key.pem',
      clientCaFile: '/t/ca.pem',
      tokenFile: '/t/tokens',
    });
    expect(envName('xds-tls-address')).toBe('STRAIT_PILOT_XDS_TLS_ADDRESS');
    expect(options(base).xdsTls).toBeUndefined();
  });

  it('repeats --registry and accepts --flag=value', () => {
    const o = options([...base, '--registry=embedded://a', '--registry', 'etcd://h:2379']);
    expect(o.registries).toEqual(['embedded://a', 'etcd://h:2379']);
  });

  it.each([
    [['--nope'], 'PILOT_ERR_INVALID_FLAG', /unknown flag --nope/],
    [
      [...base, '--architecture', 'mesh'],
      'PILOT_ERR_INVALID_FLAG',
      /expected one of colocated, three-in-one, scale-out/,
    ],
    [[...base, '--debounce-after', '100'], 'PILOT_ERR_INVALID_DURATION', /--debounce-after "100"/],
    [['--config-dir', '/c', '--xds-address', 'localhost'], 'PILOT_ERR_INVALID_ADDRESS', /HOST:PORT/],
    [['--config-dir', '/c', '--xds-address', 'h:70000'], 'PILOT_ERR_INVALID_ADDRESS', /0\.\.65535/],
    [[...base, '--push-concurrency', '0'], 'PILOT_ERR_INVALID_FLAG', />= 1/],
    [[...base, '--send-budget-mib', '0'], 'PILOT_ERR_INVALID_FLAG', />= 1/],
    [[...base, '--encode-cache-mib', '-1'], 'PILOT_ERR_INVALID_FLAG', />= 0/],
    [['--xds-address', ':1'], 'PILOT_ERR_INVALID_FLAG', /--config-dir/],
    [
      [...base, '--debounce-after', '2s', '--debounce-max', '1s'],
      'PILOT_ERR_INVALID_FLAG',
      /must not be shorter/,
    ],
    [[...base, '--config-dir', '/x'], 'PILOT_ERR_INVALID_FLAG', /more than once/],
    [[...base, '--tls-cert', '/c.pem'], 'PILOT_ERR_INVALID_FLAG', /--tls-cert needs --xds-tls-address/],
    [
      [...base, '--xds-tls-address', ':15012'],
      'PILOT_ERR_INVALID_FLAG',
      /needs --tls-cert FILE and --tls-key/,
    ],
    [
      [...base, '--xds-tls-address', ':15012', '--tls-cert', '/c', '--tls-key', '/k'],
      'PILOT_ERR_INVALID_FLAG',
      /--tls-client-ca FILE and\/or --xds-token-file/,
    ],
    [['--config-dir', '/c', '--xds-address', 'none'], 'PILOT_ERR_INVALID_FLAG', /nothing would serve xDS/],
  ])('rejects %j', (argv, code, message) => {
    try {
      parseArgs(argv, {});
      expect.unreachable();
    } catch (err) {
      expect(isPilotError(err)).toBe(true);
      expect((err as { code: string }).code).toBe(code);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('parses Go-style durations and addresses', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseHostPort('[::1]:15010')).toEqual({ host: '::1', port: 15010 });
    expect(parseHostPort(':15014')).toEqual({ host: '0.0.0.0', port: 15014 });
  });
});

describe('openRegistries', () => {
  it('names a registry by its #fragment, else by its scheme', async () => {
    const { splitName } = await import('../src/sources/open-registries.js');
    expect(splitName('zookeeper://zk:2181#zk-main')).toEqual({ url: 'zookeeper://zk:2181', name: 'zk-main' });
    expect(splitName('embedded://')).toEqual({ url: 'embedded://', name: 'embedded' });
  });

  it('opens embedded:// and rejects an unknown scheme with PILOT_ERR_REGISTRY', async () => {
    const { openRegistries } = await import('../src/sources/open-registries.js');
    const opened = await openRegistries(['embedded://#lab']);
    expect(opened.list[0]!.kind).toBe('embedded');
    expect(opened.name).toBe('lab');
    await opened.close();
    await expect(openRegistries(['nope://x'])).rejects.toMatchObject({ code: 'PILOT_ERR_REGISTRY' });
  });
});
