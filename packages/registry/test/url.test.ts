import { afterAll, describe, expect, it } from 'vitest';
import { RemoteRegistry } from '../src/backends/embedded/client.js';
import { InProcessRegistry } from '../src/backends/embedded/in-process.js';
import { EtcdRegistry } from '../src/backends/etcd/etcd.js';
import { isRegistryError } from '../src/errors.js';
import { setup } from '../src/setup.js';
import type { Registry } from '../src/types.js';
import { openRegistry, parseRegistryUrl, registeredSchemes, registerUrlBackend } from '../src/url.js';

describe('parseRegistryUrl', () => {
  it('parses single and multi-host authorities, paths and parameters', () => {
    const t = parseRegistryUrl('etcd://10.0.0.1:2379,etcd-b:2380,[::1]:2381?prefix=/mesh/reg');
    expect(t.scheme).toBe('etcd');
    expect(t.hosts).toEqual([
      { host: '10.0.0.1', port: 2379 },
      { host: 'etcd-b', port: 2380 },
      { host: '[::1]', port: 2381 },
    ]);
    expect(t.params.get('prefix')).toBe('/mesh/reg');
    expect(t.url.href).toBe('etcd://10.0.0.1:2379?prefix=/mesh/reg');
    expect(parseRegistryUrl('embedded://').hosts).toEqual([]);
    expect(parseRegistryUrl('zookeeper://zk:2181/chroot').path).toBe('/chroot');
    expect(parseRegistryUrl('kubernetes://').scheme).toBe('kubernetes');
  });

  it.each([
    ['etcd:/nohost', 'expected scheme://'],
    ['not a url', 'expected scheme://'],
    ['etcd://host:99999', 'port 99999 not in 1..65535'],
    ['etcd://a b:1', 'is not host or host:port'],
    ['etcd://user:pw@host:1', 'credentials'],
    ['etcd://h:1#frag', 'fragments'],
  ])('rejects %s with REG_ERR_INVALID_URL', (raw, message) => {
    let err: unknown;
    try {
      parseRegistryUrl(raw);
    } catch (e) {
      err = e;
    }
    expect(isRegistryError(err, 'REG_ERR_INVALID_URL')).toBe(true);
    expect((err as Error).message).toContain(message);
  });
});

describe('openRegistry', () => {
  const opened: Registry[] = [];
  setup();
  afterAll(async () => {
    for (const r of opened) await r.close();
  });
  const open = async (raw: string): Promise<Registry> => {
    const r = await openRegistry(raw);
    opened.push(r);
    return r;
  };
  const failure = (raw: string): Promise<unknown> =>
    openRegistry(raw).then(
      () => undefined,
      (e: unknown) => e,
    );

  it('opens each built-in backend by scheme', async () => {
    expect(await open('embedded://')).toBeInstanceOf(InProcessRegistry);
    expect(await open('embedded://127.0.0.1:15080')).toBeInstanceOf(RemoteRegistry);
    expect(await open('etcd://127.0.0.1:2379,127.0.0.1:22379?prefix=/x')).toBeInstanceOf(EtcdRegistry);
    expect(registeredSchemes()).toEqual(expect.arrayContaining(['embedded', 'etcd', 'zookeeper']));
  });

  it('shares one in-process store between embedded:// handles', async () => {
    const a = await open('embedded://');
    const b = await open('embedded://?sessionTtlMs=5000');
    await a.register({ service: 'shared-url-test', address: '10.0.0.1', port: 1 });
    expect((await b.list('shared-url-test')).length).toBe(1);
  });

  it('gives clear errors for bad URLs and unknown schemes', async () => {
    const cases: [string, string, string][] = [
      ['etcd://h:1?prefx=/a', 'REG_ERR_INVALID_URL', 'unknown parameter "prefx"'],
      ['etcd://h:1?prefix=a', 'REG_ERR_INVALID_URL', 'prefix must start with /'],
      [
        'etcd://h:1?sessionTtlMs=5',
        'REG_ERR_INVALID_URL',
        'sessionTtlMs=5 is not an integer in 1000..3600000',
      ],
      ['etcd://', 'REG_ERR_INVALID_URL', 'etcd needs host:port'],
      ['embedded://a:1,b:2', 'REG_ERR_INVALID_URL', 'one server'],
      ['embedded://host', 'REG_ERR_INVALID_URL', 'port required'],
      ['consul://h:8500', 'REG_ERR_UNKNOWN_SCHEME', 'no backend for "consul://"'],
      ['nacos://h:8848', 'REG_ERR_UNKNOWN_SCHEME', 'no backend for "nacos://"'],
      ['zookeeper://zk:2181?layout=flat', 'REG_ERR_INVALID_URL', 'layout=flat'],
    ];
    for (const [raw, code, message] of cases) {
      const err = await failure(raw);
      expect(isRegistryError(err), raw).toBe(true);
      expect((err as { code: string }).code, raw).toBe(code);
      expect((err as Error).message, raw).toContain(message);
    }
  });

  it('adapts URL-based factories, passing extra hosts as backup=', async () => {
    let seen = '';
    registerUrlBackend('fakezk', async (url) => {
      seen = url.href;
      return new InProcessRegistry(new (await import('../src/store/memory-store.js')).MemoryStore());
    });
    await (await openRegistry('fakezk://a:2181,b:2182/dubbo?layout=interface')).close();
    expect(seen).toBe('fakezk://a:2181/dubbo?layout=interface&backup=b%3A2182');
  });
});
