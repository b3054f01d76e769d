// Type-level checks of the public surface: what the pilot relies on when it narrows and reads objects.
import { describe, expectTypeOf, it } from 'vitest';
import type {
  ConfigKind,
  ConfigObject,
  ConfigOfKind,
  DestinationRule,
  RpcArgMatch,
  RpcRoute,
  ValidationResult,
  VirtualService,
} from '../src/index.js';
import { ConfigStore } from '../src/index.js';

describe('types', () => {
  it('narrows ConfigObject by kind', () => {
    expectTypeOf<ConfigOfKind<'VirtualService'>>().toEqualTypeOf<VirtualService>();
    expectTypeOf<ConfigOfKind<'RpcRoute'>['apiVersion']>().toEqualTypeOf<'mesh.strait.io/v1alpha1'>();
    expectTypeOf<ConfigKind>().toEqualTypeOf<
      'VirtualService' | 'DestinationRule' | 'ServiceEntry' | 'Sidecar' | 'RpcRoute'
    >();
  });

  it('types store reads by kind', () => {
    const store = new ConfigStore();
    expectTypeOf(store.get('DestinationRule', 'ns', 'n')).toEqualTypeOf<DestinationRule | undefined>();
    expectTypeOf(store.list('RpcRoute')).toEqualTypeOf<RpcRoute[]>();
    expectTypeOf(store.list()).toEqualTypeOf<ConfigObject[]>();
  });

  it('exposes the validated object only on success', () => {
    const r = {} as ValidationResult;
    if (r.ok) expectTypeOf(r.object).toEqualTypeOf<ConfigObject>();
    else expectTypeOf(r.object).toEqualTypeOf<undefined>();
  });

  it('keeps Istio field names and Envoy-shaped RPC matches', () => {
    expectTypeOf<VirtualService['spec']['http']>().toEqualTypeOf<VirtualService['spec']['http']>();
    expectTypeOf<
      NonNullable<NonNullable<VirtualService['spec']['http']>[number]['retries']>
    >().toHaveProperty('retryOn');
    expectTypeOf<NonNullable<DestinationRule['spec']['trafficPolicy']>>().toHaveProperty('outlierDetection');
    expectTypeOf<RpcArgMatch['range']>().toEqualTypeOf<{ start: number; end: number } | undefined>();
  });
});
