// The reflector's own behaviour, without an apiserver: the list is a function and the watch points at a
// closed port. The config source and the registry backend test it against a real kube-apiserver.
import { KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { Reflector, type ReflectorOptions } from '../src/index.js';

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
  users: [{ name: 'u' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  currentContext: 'x',
});

const notFound = Object.assign(new Error('404 page not found'), { code: 404 });
const pod = (name: string): KubernetesObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name } });
const listOf = (items: KubernetesObject[]): KubernetesListObject<KubernetesObject> => ({
  apiVersion: 'v1',
  kind: 'List',
  metadata: { resourceVersion: '7' },
  items,
});

const started: Reflector[] = [];
function start(
  options: Omit<ReflectorOptions<KubernetesObject>, 'path' | 'onChange'> &
    Partial<ReflectorOptions<KubernetesObject>>,
) {
  const r = new Reflector(kc, { path: '/api/v1/pods', onChange: () => undefined, ...options });
  started.push(r);
  r.start();
  return r;
}
const settled = (p: Promise<void>, ms = 300): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.stop()));
});

describe('Reflector', () => {
  it('applies the first list, resolves synced, serves the cache, and reports watch errors', async () => {
    const changes: string[] = [];
    const errors: unknown[] = [];
    const r = start({
      list: async () => listOf([pod('a'), pod('b')]),
      onChange: (type, o) => changes.push(`${type} ${o.metadata?.name}`),
      onError: (err) => errors.push(err),
    });
    await r.synced;
    expect(changes).toEqual(['add a', 'add b']);
    expect(r.list().map((o) => o.metadata?.name)).toEqual(['a', 'b']);
    expect(r.get('a')?.metadata?.name).toBe('a');
    expect(r.resourceVersion).toBe('7');
    expect(r.absent).toBe(false);
    // The watch cannot connect (port 1): reported, then retried with backoff.
    await expect.poll(() => errors.length).toBeGreaterThan(0);
  });

  it('with absentIsEmpty, a 404 list counts as an empty kind: synced, absent, no error', async () => {
    const errors: unknown[] = [];
    const r = start({
      list: async () => Promise.reject(notFound),
      absentIsEmpty: true,
      onError: (e) => errors.push(e),
    });
    expect(await settled(r.synced)).toBe(true);
    expect(r.absent).toBe(true);
    expect(r.list()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('without absentIsEmpty, a 404 list is an error and the reflector is not synced', async () => {
    const errors: unknown[] = [];
    const r = start({ list: async () => Promise.reject(notFound), onError: (e) => errors.push(e) });
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    expect(errors[0]).toBe(notFound);
    expect(r.absent).toBe(false);
    expect(await settled(r.synced)).toBe(false);
  });
});
