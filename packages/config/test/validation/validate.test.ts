import { describe, expect, it } from 'vitest';
import { kindSchema, unsupportedPaths, validate } from '../../src/index.js';
import { dr, vs } from '../helpers/objects.js';

describe('validate', () => {
  it('accepts a minimal object, defaulting the namespace', () => {
    const result = validate({ ...vs('reviews'), metadata: { name: 'reviews' } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.object.metadata.namespace).toBe('default');
    expect(result.ref).toEqual({ kind: 'VirtualService', namespace: 'default', name: 'reviews' });
  });

  it('uses the configured default namespace', () => {
    const result = validate(dr('reviews'), { defaultNamespace: 'bookinfo' });
    expect(result.ok && result.object.metadata.namespace).toBe('bookinfo');
  });

  it('reports every error at once, each with code, path and a message quoting value and limit', () => {
    const doc = vs('reviews', 'v1', {
      http: [
        {
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 60 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: -30 },
          ],
          timeout: '1x',
          retries: { attempts: 1, perTryTimeout: '0.1ms' },
        },
      ],
    });
    const result = validate(doc);
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      expect.objectContaining({
        code: 'CFG_ERR_INVALID_WEIGHT',
        path: 'spec.http[0].route[1].weight',
        message: 'weight -30 is negative; weights must be >= 0',
      }),
      expect.objectContaining({ code: 'CFG_ERR_INVALID_DURATION', path: 'spec.http[0].timeout' }),
      expect.objectContaining({
        code: 'CFG_ERR_INVALID_DURATION',
        path: 'spec.http[0].retries.perTryTimeout',
        message: '"0.1ms" is below the minimum of 1ms',
      }),
    ]);
    expect(result.errors.every((e) => e.severity === 'error')).toBe(true);
  });

  it('names a mistyped field as an error, with the known fields', () => {
    const result = validate({ ...dr('reviews'), spec: { host: 'reviews', subset: [] } });
    expect(result.errors).toEqual([
      expect.objectContaining({
        code: 'CFG_ERR_UNKNOWN_FIELD',
        path: 'spec.subset',
        message: expect.stringContaining('subsets'),
      }),
    ]);
  });

  it('warns about unsupported fields, names them, and strips them from the accepted object', () => {
    const doc = dr('reviews');
    (doc['spec'] as Record<string, unknown>)['trafficPolicy'] = {
      tunnel: { targetHost: 'a', targetPort: 1 },
      loadBalancer: { simple: 'RANDOM' },
    };
    const result = validate(doc);
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'CFG_WARN_UNSUPPORTED_FIELD',
        path: 'spec.trafficPolicy.tunnel',
        message: expect.stringMatching(/"tunnel" is unsupported by Strait, ignored/),
      }),
    ]);
    if (result.ok)
      expect(result.object.spec).toEqual({
        host: 'reviews',
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
        trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
      });
  });

  it('accepts legacy Istio apiVersions with a warning and normalizes them to v1', () => {
    const result = validate({ ...vs('reviews'), apiVersion: 'networking.istio.io/v1alpha3' });
    expect(result.ok && result.object.apiVersion).toBe('networking.istio.io/v1');
    expect(result.warnings.map((w) => w.code)).toEqual(['CFG_WARN_DEPRECATED']);
  });

  it('drops status and keeps Kubernetes metadata extras', () => {
    const result = validate({
      ...vs('reviews'),
      metadata: { name: 'reviews', uid: 'x', resourceVersion: '7', generation: 2 },
      status: { conditions: [] },
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect('status' in result.object).toBe(false);
    expect(result.object.metadata.resourceVersion).toBe('7');
  });

  it.each([
    [null, 'CFG_ERR_NOT_AN_OBJECT', ''],
    [[1, 2], 'CFG_ERR_NOT_AN_OBJECT', ''],
    ['text', 'CFG_ERR_NOT_AN_OBJECT', ''],
    [{ apiVersion: 'v1', kind: 'ConfigMap' }, 'CFG_ERR_UNKNOWN_KIND', 'kind'],
    [{ apiVersion: 'networking.istio.io/v1' }, 'CFG_ERR_MISSING_FIELD', 'kind'],
    [{ ...vs('a'), apiVersion: 'mesh.strait.io/v1alpha1' }, 'CFG_ERR_UNKNOWN_KIND', 'apiVersion'],
    [{ ...vs('a'), metadata: { name: 'Bad_Name' } }, 'CFG_ERR_INVALID_NAME', 'metadata.name'],
    [{ ...vs('a'), metadata: {} }, 'CFG_ERR_MISSING_FIELD', 'metadata.name'],
    [{ ...vs('a'), extra: 1 }, 'CFG_ERR_UNKNOWN_FIELD', 'extra'],
    [{ ...vs('a'), apiVersion: undefined }, 'CFG_ERR_MISSING_FIELD', 'apiVersion'],
    [{ ...vs('a'), spec: 'x' }, 'CFG_ERR_INVALID_TYPE', 'spec'],
  ])('%j -> %s at %j', (doc, code, path) => {
    const result = validate(doc);
    expect(result.ok).toBe(false);
    expect(result.errors).toContainEqual(expect.objectContaining({ code, path }));
    // Each problem is reported once.
    const pairs = result.errors.map((e) => `${e.code} ${e.path}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });

  it('never throws, whatever the shape of the input', () => {
    const junk: unknown[] = [null, 1, 'x', true, [], {}, [null], { a: null }];
    const kinds = ['VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar', 'RpcRoute'];
    for (const kind of kinds) {
      const schema = kindSchema(kind as 'VirtualService');
      const apiVersion = kind === 'RpcRoute' ? 'mesh.strait.io/v1alpha1' : 'networking.istio.io/v1';
      // Put junk at every field path the schema knows, one at a time.
      for (const { path } of allPaths(schema)) {
        for (const j of junk) {
          const doc = setPath({ apiVersion, kind, metadata: { name: 'x' }, spec: {} }, path, j);
          expect(() => validate(doc)).not.toThrow();
        }
      }
    }
  });

  it('lists unsupported field paths from the schemas', () => {
    const paths = unsupportedPaths(kindSchema('DestinationRule')).map((u) => u.path);
    expect(paths).toContain('spec.trafficPolicy.tunnel');
  });
});

type AnySchema = ReturnType<typeof kindSchema>;

function allPaths(schema: AnySchema, path: string[] = []): { path: string[] }[] {
  const out: { path: string[] }[] = [{ path }];
  if (schema.t === 'object')
    for (const [k, f] of Object.entries(schema.fields)) out.push(...allPaths(f, [...path, k]));
  if (schema.t === 'array') out.push(...allPaths(schema.of, [...path, '0']));
  if (schema.t === 'map') out.push(...allPaths(schema.of, [...path, 'k']));
  return out;
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const clone = structuredClone(root);
  let cur: Record<string, unknown> | unknown[] = clone;
  path.forEach((seg, i) => {
    const last = i === path.length - 1;
    const nextIsIndex = path[i + 1] === '0';
    const c = cur as Record<string, unknown>;
    if (last) c[seg] = value;
    else {
      c[seg] ??= nextIsIndex ? [] : {};
      cur = c[seg] as Record<string, unknown>;
    }
  });
  return clone;
}
