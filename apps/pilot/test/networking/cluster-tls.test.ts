// Unit tests of the DestinationRule tls translation helpers; the full cluster shapes are in
// test/golden/sidecar-upstream-tls.*, and proxies originating TLS from them in apps/proxy's tests.
import { parseYaml, validate } from '@strait/config';
import { describe, expect, it } from 'vitest';
import { buildPushContext } from '../../src/model/push-context.js';
import { ISTIO_MUTUAL_NOT_APPLIED, sanMatcher, upstreamTls } from '../../src/networking/cluster-tls.js';
import { notApplied } from '../../src/networking/not-applied.js';

describe('upstreamTls', () => {
  it('is plaintext for no settings, DISABLE and ISTIO_MUTUAL', () => {
    expect(upstreamTls(undefined, false)).toBeUndefined();
    expect(upstreamTls({ mode: 'DISABLE' }, false)).toBeUndefined();
    expect(upstreamTls({ mode: 'ISTIO_MUTUAL' }, true)).toBeUndefined();
  });

  it('sets auto SNI and auto SAN validation only when sni and SANs are missing (Istio)', () => {
    expect(upstreamTls({ mode: 'SIMPLE' }, false)).toMatchObject({ autoSni: true, autoSanValidation: true });
    expect(upstreamTls({ mode: 'SIMPLE', subjectAltNames: ['a.test'] }, false)).toMatchObject({
      autoSni: true,
      autoSanValidation: false,
    });
    expect(upstreamTls({ mode: 'SIMPLE', insecureSkipVerify: true }, false)).toMatchObject({
      autoSni: true,
      autoSanValidation: false,
    });
    expect(upstreamTls({ mode: 'SIMPLE', sni: 'a.test' }, false)).toMatchObject({
      autoSni: false,
      autoSanValidation: false,
      context: { sni: 'a.test' },
    });
  });

  it("falls back to the ServiceEntry's subjectAltNames, deciding auto SAN validation first (Istio)", () => {
    const t = upstreamTls({ mode: 'SIMPLE', caCertificates: '/ca.pem' }, false, ['db.internal']);
    expect(t?.context.commonTlsContext?.validationContext?.matchTypedSubjectAltNames).toEqual([
      { sanType: 2, matcher: { exact: 'db.internal' } },
    ]);
    expect(t).toMatchObject({ autoSni: true, autoSanValidation: true });
    const own = upstreamTls({ mode: 'SIMPLE', subjectAltNames: ['a.test'] }, false, ['db.internal']);
    expect(own?.context.commonTlsContext?.validationContext?.matchTypedSubjectAltNames).toEqual([
      { sanType: 2, matcher: { exact: 'a.test' } },
    ]);
  });

  it('drops every validation setting with insecureSkipVerify', () => {
    const t = upstreamTls(
      { mode: 'SIMPLE', insecureSkipVerify: true, caCertificates: '/ca.pem', subjectAltNames: ['x'] },
      true,
    );
    expect(t?.context.commonTlsContext).toEqual({ alpnProtocols: ['h2'] });
  });
});

describe('sanMatcher', () => {
  it('types a SAN by its shape', () => {
    expect(sanMatcher('api.test').sanType).toBe(2); // DNS
    expect(sanMatcher('spiffe://td/ns/a/sa/b').sanType).toBe(3); // URI
    expect(sanMatcher('::1').sanType).toBe(4); // IP_ADDRESS
    expect(sanMatcher('a@b.test').sanType).toBe(1); // EMAIL
  });
});

describe('ISTIO_MUTUAL reporting', () => {
  it('validation warns and notApplied names every ISTIO_MUTUAL setting, in any architecture', () => {
    const text = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: r, namespace: ns }
spec:
  host: r.test
  trafficPolicy:
    tls: { mode: SIMPLE }
    portLevelSettings:
      - { port: { number: 80 }, tls: { mode: ISTIO_MUTUAL } }
  subsets:
    - name: v1
      labels: { v: "1" }
      trafficPolicy: { tls: { mode: ISTIO_MUTUAL } }
`;
    const doc = parseYaml(text, 'r.yaml').documents[0];
    const r = validate(doc?.value);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.warnings.map((w) => `${w.code} ${w.path}`).sort()).toEqual([
      'CFG_WARN_UNSUPPORTED_VALUE spec.subsets[0].trafficPolicy.tls.mode',
      'CFG_WARN_UNSUPPORTED_VALUE spec.trafficPolicy.portLevelSettings[0].tls.mode',
    ]);
    for (const architecture of ['three-in-one', 'scale-out', 'colocated'] as const) {
      const ctx = buildPushContext({ version: 't', architecture, config: [r.object], instances: new Map() });
      expect(notApplied(ctx).map((n) => [n.object, n.field, n.reason])).toEqual([
        [
          'DestinationRule/ns/r',
          'spec.trafficPolicy.portLevelSettings[0].tls.mode',
          ISTIO_MUTUAL_NOT_APPLIED,
        ],
        ['DestinationRule/ns/r', 'spec.subsets[0].trafficPolicy.tls.mode', ISTIO_MUTUAL_NOT_APPLIED],
      ]);
    }
  });
});
