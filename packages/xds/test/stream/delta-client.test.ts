import { describe, expect, it } from 'vitest';
import {
  type DeltaClientOptions,
  DeltaClientState,
  type DeltaDiscoveryResponse,
  XdsStreamErrorCode,
} from '../../src/stream/index.js';
import { CDS, EDS, FakeProxy, LDS, pack, RDS } from './helpers.js';

function client(typeUrl: string, extra: Partial<DeltaClientOptions> = {}) {
  return new DeltaClientState({ typeUrl, ...extra });
}

function response(
  typeUrl: string,
  nonce: string,
  table: Record<string, string>,
  removedResources: string[] = [],
): DeltaDiscoveryResponse {
  return {
    typeUrl,
    nonce,
    systemVersionInfo: `sys-${nonce}`,
    resources: Object.entries(table).map(([name, version]) => ({
      name,
      version,
      resource: pack(typeUrl, name, version),
    })),
    removedResources,
  };
}

describe('Delta client: requests', () => {
  it('opens a CDS stream with the legacy wildcard: nothing subscribed or unsubscribed', () => {
    expect(client(CDS).initialRequest()).toEqual({ typeUrl: CDS, resourceNamesSubscribe: [] });
  });

  it('names "*" explicitly when it also subscribes to names', () => {
    const c = client(LDS);
    c.subscribe(['api']);
    expect(c.initialRequest()?.resourceNamesSubscribe).toEqual(['*', 'api']);
  });

  it('subscribes with only the new names and no nonce', () => {
    const c = client(EDS);
    c.subscribe(['x']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'n1', { x: '1' }), () => []);
    expect(c.subscribe(['x', 'y'])).toEqual({
      ok: true,
      request: { typeUrl: EDS, resourceNamesSubscribe: ['y'] },
      dropped: [],
    });
  });

  it('unsubscribe in delta removes resource from tracking', () => {
    const c = client(EDS);
    c.subscribe(['x', 'y']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'n1', { x: '1', y: '1' }), () => []);
    const result = c.unsubscribe(['y', 'never']);
    expect(result).toEqual({
      ok: true,
      request: { typeUrl: EDS, resourceNamesUnsubscribe: ['y'] },
      dropped: ['y'],
    });
    expect([...c.heldVersions().keys()]).toEqual(['x']);
  });

  it('under a wildcard keeps an unsubscribed resource until the server says whether the wildcard covers it', () => {
    const c = client(CDS);
    c.subscribe(['a']);
    c.initialRequest();
    c.handleResponse(response(CDS, 'n1', { a: '1' }), () => []);
    const result = c.unsubscribe(['a']);
    expect(result.ok && result.dropped).toEqual([]);
    expect(c.heldVersions().get('a')).toBe('1');
  });

  it('delta reconnect declares what it holds in initial_resource_versions', () => {
    const c = client(EDS);
    c.subscribe(['x', 'y']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'n1', { x: '3', y: '5' }), () => []);
    c.disconnect();
    expect(c.initialRequest()).toEqual({
      typeUrl: EDS,
      resourceNamesSubscribe: ['x', 'y'],
      initialResourceVersions: { x: '3', y: '5' },
    });
  });

  it('rejects names over the limit with a typed error', () => {
    const c = client(RDS, { limits: { maxResourceNamesPerType: 2 } });
    const result = c.subscribe(['a', 'b', 'c']);
    expect(!result.ok && result.error.code).toBe(XdsStreamErrorCode.TooManyResourceNames);
    const empty = c.subscribe(['']);
    expect(!empty.ok && empty.error.code).toBe(XdsStreamErrorCode.InvalidResourceName);
  });
});

describe('Delta client: ACK, NACK and per-resource versions', () => {
  it('ACKs with the response nonce and tracks each resource version', () => {
    const c = client(CDS);
    c.initialRequest();
    const result = c.handleResponse(response(CDS, 'n1', { a: '1', b: '2' }), () => []);
    expect(result).toEqual({
      kind: 'ack',
      request: { typeUrl: CDS, responseNonce: 'n1' },
      errors: [],
      update: expect.objectContaining({ version: 'sys-n1' }),
    });
    expect(Object.fromEntries(c.heldVersions())).toEqual({ a: '1', b: '2' });
    expect(c.status().appliedVersion).toBe('sys-n1');
  });

  it('a later response only changes what it carries; the other resources stay', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'n1', { a: '1', b: '1' }), proxy.apply);
    c.handleResponse(response(CDS, 'n2', { b: '2' }), proxy.apply);
    expect(proxy.view()).toEqual({ a: '1', b: '2' });
  });

  it('NACK keeps the last good version of a rejected resource, and names it with the reason', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'n1', { a: '1' }), proxy.apply);
    proxy.reject.add('2');
    const result = c.handleResponse(response(CDS, 'n2', { a: '2' }), proxy.apply);
    expect(result).toMatchObject({
      kind: 'nack',
      request: {
        typeUrl: CDS,
        responseNonce: 'n2',
        errorDetail: { code: 3, message: '1 resource rejected: a: content 2 is invalid' },
      },
    });
    expect(c.heldVersions().get('a')).toBe('1');
    expect(proxy.view()).toEqual({ a: '1' });
    expect(c.status().lastNack).toEqual({
      nonce: 'n2',
      message: '1 resource rejected: a: content 2 is invalid',
    });
  });

  it('NACKs a response carrying the same name twice', () => {
    const c = client(CDS);
    c.initialRequest();
    const r = response(CDS, 'n1', { a: '1' });
    r.resources = [...(r.resources ?? []), { name: 'a', version: '2', resource: pack(CDS, 'a', '2') }];
    const result = c.handleResponse(r, () => []);
    expect(result.kind).toBe('nack');
    expect(c.heldVersions().size).toBe(0);
  });

  it('NACKs a resource of another type and one without a name', () => {
    const c = client(CDS);
    c.initialRequest();
    const r = response(CDS, 'n1', {});
    r.resources = [
      { name: 'a', version: '1', resource: pack(LDS, 'a', '1') },
      { name: '', version: '1', resource: pack(CDS, 'b', '1') },
    ];
    const result = c.handleResponse(r, () => []);
    expect(result.kind !== 'invalid' && result.errors.map((e) => e.name)).toEqual(['a', '#1']);
  });

  it('ignores a resource without a body (a TTL heartbeat)', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    const result = c.handleResponse(
      { typeUrl: CDS, nonce: 'n1', resources: [{ name: 'a', version: '1' }] },
      proxy.apply,
    );
    expect(result.kind).toBe('ack');
    expect(proxy.updates).toEqual([]);
  });

  it('ignores resources it did not subscribe to', () => {
    const proxy = new FakeProxy();
    const c = client(EDS);
    c.subscribe(['x']);
    c.initialRequest();
    c.handleResponse(response(EDS, 'n1', { x: '1', z: '1' }), proxy.apply);
    expect(proxy.view()).toEqual({ x: '1' });
  });

  it('NACKs a response that would track more resources than the limit', () => {
    const c = client(CDS, { limits: { maxResourceNamesPerType: 2 } });
    c.initialRequest();
    c.handleResponse(response(CDS, 'n1', { a: '1', b: '1' }), () => []);
    const result = c.handleResponse(response(CDS, 'n2', { c: '1' }), () => []);
    expect(result.kind !== 'invalid' && result.errors[0]?.message).toContain(
      XdsStreamErrorCode.TooManyResourceNames,
    );
    expect(c.heldVersions().size).toBe(2);
  });

  it('treats a response for another type as invalid', () => {
    const result = client(CDS).handleResponse(response(EDS, 'n1', {}), () => []);
    expect(result.kind === 'invalid' && result.error.code).toBe(XdsStreamErrorCode.TypeUrlMismatch);
  });
});

describe('Delta client: removals and resources that do not exist', () => {
  it('deletes a held resource listed in removed_resources', () => {
    const proxy = new FakeProxy();
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'n1', { a: '1', b: '1' }), proxy.apply);
    const result = c.handleResponse(response(CDS, 'n2', {}, ['b']), proxy.apply);
    expect(result.kind !== 'invalid' && result.update?.removed).toEqual(['b']);
    expect(proxy.view()).toEqual({ a: '1' });
    expect([...c.heldVersions().keys()]).toEqual(['a']);
  });

  it('learns from removed_resources that a subscribed, never received resource does not exist', () => {
    let now = 0;
    const c = client(EDS, { clock: () => now });
    c.subscribe(['ghost']);
    c.initialRequest();
    const result = c.handleResponse(response(EDS, 'n1', {}, ['ghost']), () => []);
    expect(result.kind !== 'invalid' && result.update).toMatchObject({ removed: [], absent: ['ghost'] });
    now = 60_000;
    expect(c.expireDoesNotExist()).toEqual([]);
  });

  it('keeps a does-not-exist timer as a safety net when the server stays silent', () => {
    let now = 0;
    const c = client(RDS, { clock: () => now, doesNotExistTimeoutMs: 1000 });
    c.subscribe(['r']);
    c.initialRequest();
    now = 1000;
    expect(c.expireDoesNotExist()).toEqual(['r']);
  });

  it('ignores removals of names it neither holds nor subscribed to', () => {
    const c = client(EDS);
    c.subscribe(['x']);
    c.initialRequest();
    const result = c.handleResponse(response(EDS, 'n1', {}, ['stranger']), () => []);
    expect(result).toMatchObject({ kind: 'ack', update: undefined });
  });
});

describe('Delta client: switching the wildcard', () => {
  it('subscribes to "*" and unsubscribes from it, dropping what only the wildcard brought', () => {
    const c = client(CDS, { wildcard: 'off' });
    c.subscribe(['a']);
    c.initialRequest();
    expect(c.setWildcard(true)).toEqual({
      ok: true,
      request: { typeUrl: CDS, resourceNamesSubscribe: ['*'] },
      dropped: [],
    });
    c.handleResponse(response(CDS, 'n1', { a: '1', b: '1' }), () => []);
    expect(c.setWildcard(false)).toEqual({
      ok: true,
      request: { typeUrl: CDS, resourceNamesUnsubscribe: ['*'] },
      dropped: ['b'],
    });
    expect(c.setWildcard(false)).toEqual({ ok: true, request: undefined, dropped: [] });
  });
});

describe('Delta client: an apply that throws', () => {
  it('NACKs and keeps what it held, so a reconnect declares the last good versions', () => {
    const c = client(CDS);
    c.initialRequest();
    c.handleResponse(response(CDS, 'n1', { a: '1', b: '1' }), () => []);
    const result = c.handleResponse(response(CDS, 'n2', { a: '2' }, ['b']), () => {
      throw new Error('boom');
    });
    expect(result.kind).toBe('nack');
    expect(Object.fromEntries(c.heldVersions())).toEqual({ a: '1', b: '1' });
  });
});
